// Shared by the kubepush* steps (kubepushValidate, kubepushBump, kubepushDiff, kubepushApply,
// kubepushDrift, kubepushRevert, kubepushTargets): install kubepush, map the step's config to flags - the GitHub Action's and the
// GitLab templates' inputs, in camelCase - run it with the credentials bound, publish JUnit, and
// return what the pipeline acts on. Usable directly too: kubepush(command: 'validate', ...).
//
// Secrets only through credentials (withCredentials: Jenkins masks them in the log); every sh
// script here is a single-quoted literal, its data passes through the environment, so Groovy
// never interpolates a secret - or an argument - into shell text.
import groovy.json.JsonSlurperClassic

/** option -> flag: value (--f V), list (--f A --f B), flag (--f when true), negate (--f when false),
 *  tristate (--f / --no-f), paths (positional). */
@groovy.transform.Field
final Map FLAGS = [
    // >>> flags (generated from src/kubepush/ci/spec.json by python -m kubepush.ci.generate; edit it there)
    config: ['value', '--config'],
    target: ['list', '--target'],
    paths: ['paths', ''],
    kubernetesVersion: ['value', '--kubernetes-version'],
    strict: ['tristate', 'strict'],
    ignoreMissingSchemas: ['flag', '--ignore-missing-schemas'],
    crds: ['list', '--crd'],
    disable: ['list', '--disable'],
    context: ['value', '--context'],
    namespace: ['value', '--namespace'],
    ignoreManager: ['list', '--ignore-manager'],
    failOnDrift: ['tristate', 'fail-on-drift'],
    heal: ['flag', '--heal'],
    timeout: ['value', '--timeout'],
    wait: ['negate', '--no-wait'],
    rollbackOnFailure: ['flag', '--rollback-on-failure'],
    revision: ['value', '--revision'],
    image: ['list', '--image'],
    fromRegistry: ['flag', '--from-registry'],
    repo: ['value', '--repo'],
    base: ['value', '--base'],
    group: ['value', '--group'],
    branch: ['value', '--branch'],
    title: ['value', '--title'],
    labels: ['list', '--label'],
    reviewers: ['list', '--reviewer'],
    assignees: ['list', '--assignee'],
    draft: ['flag', '--draft'],
    autoMerge: ['flag', '--auto-merge'],
    direct: ['flag', '--direct'],
    dryRun: ['flag', '--dry-run'],
    forge: ['value', '--forge'],
    forgeUrl: ['value', '--forge-url'],
    author: ['value', '--author'],
    insecureRegistry: ['list', '--insecure-registry'],
    commit: ['paths', ''],
    lastApplied: ['flag', '--last-applied'],
    reason: ['value', '--reason'],
    changedSince: ['value', '--changed-since'],
    // <<< flags
]

/** Each command's options, in argument order. */
@groovy.transform.Field
final Map INPUTS = [
    // >>> inputs (generated from src/kubepush/ci/spec.json by python -m kubepush.ci.generate; edit it there)
    validate: ['config', 'target', 'paths', 'kubernetesVersion', 'strict', 'ignoreMissingSchemas', 'crds', 'disable'],
    diff: ['config', 'target', 'paths', 'context', 'namespace', 'ignoreManager', 'failOnDrift'],
    drift: ['config', 'target', 'paths', 'context', 'namespace', 'ignoreManager', 'failOnDrift', 'heal'],
    apply: ['config', 'target', 'paths', 'context', 'namespace', 'ignoreManager', 'timeout', 'wait', 'rollbackOnFailure', 'revision'],
    bump: ['config', 'target', 'image', 'fromRegistry', 'repo', 'base', 'group', 'branch', 'title', 'labels', 'reviewers', 'assignees', 'draft', 'autoMerge', 'direct', 'dryRun', 'forge', 'forgeUrl', 'author', 'insecureRegistry'],
    revert: ['config', 'target', 'commit', 'lastApplied', 'reason', 'context', 'repo', 'base', 'labels', 'reviewers', 'assignees', 'draft', 'autoMerge', 'forge', 'forgeUrl', 'author'],
    targets: ['config', 'changedSince'],
    // <<< inputs
]

/** What an option not given means, where it is not left to kubepush.yaml / kubepush's default. */
@groovy.transform.Field
final Map DEFAULTS = [
    // >>> defaults (generated from src/kubepush/ci/spec.json by python -m kubepush.ci.generate; edit it there)
    diff: [failOnDrift: false],
    // <<< defaults
]

/** The commands whose result is JSON on stdout (no findings reports, no JUnit). */
@groovy.transform.Field
final List STDOUT_JSON = ['bump', 'revert', 'targets']

/** Keys every step takes besides its command's inputs. */
@groovy.transform.Field
final List COMMON = ['kubepushSource', 'pipArgs', 'workingDirectory', 'args', 'failOnFindings', 'comment',
                     'kubeconfigCredentialsId', 'tokenCredentialsId', 'registryCredentials', 'junit', 'forge',
                     'forgeUrl']

def call(Map config = [:]) {
    String command = config.command
    if (!INPUTS.containsKey(command)) {
        error("kubepush: command must be one of ${INPUTS.keySet().join(', ')}, got ${command}")
    }
    Map rest = new LinkedHashMap(config)
    rest.remove('command')
    return runStep(command, rest)
}

/** Runs ``kubepush command`` for a kubepush* step; returns the result map (see the steps' help). */
def runStep(String command, Map config) {
    List unknown = config.keySet().findAll { !(it in INPUTS[command]) && !(it in COMMON) } as List
    if (unknown) {
        error("kubepush ${command}: unknown option(s) ${unknown.join(', ')}; it takes ${(INPUTS[command] + COMMON).join(', ')}")
    }
    String reports = "${pwd()}/kubepush-reports"
    List argv = arguments(command, config, reports)  // bad options fail before anything is installed
    String venvBin = install(config)
    String output = "${reports}/${command}.json"
    Map result = [:]
    dir(config.workingDirectory ?: '.') {
        List environment = ["KP_ARGV=${shellQuote(argv)}", "KP_REPORTS=${reports}", "KP_OUTPUT=${output}",
                            "KP_COMMAND=${command}"]
        if (venvBin) {
            environment << "PATH+KUBEPUSH=${venvBin}"
        }
        withEnv(environment) {
            withSecrets(config) {
                // bump, revert and targets print their JSON on stdout, the others write it with --report json=
                String script = command in STDOUT_JSON ? 'kubepush "$@" > "$KP_OUTPUT"' : 'kubepush "$@"'
                int code = sh(returnStatus: true, script: 'eval "set -- $KP_ARGV"; mkdir -p "$KP_REPORTS"; ' +
                              'rm -f "$KP_REPORTS/$KP_COMMAND".*; ' + script)  // no earlier run's reports
                // the result map: kubepush's own runner derives it from the JSON, as for the Action and GitLab
                Map step = [:]
                withEnv(["KP_CODE=${code}"]) {
                    step = parseJson(sh(returnStdout: true,
                                        script: 'python3 -m kubepush.ci.jenkins "$KP_COMMAND" "$KP_CODE" "$KP_OUTPUT"'))
                }
                result = step.result
                if (step.log) {
                    echo(step.log.join('\n'))
                }
                if (command == 'targets') {
                    echo("kubepush targets: ${result.targets.join(', ') ?: 'none affected'}")
                } else if (option(config, 'comment', false)) {
                    comment(command, config, "${reports}/${command}.md")
                }
            }
        }
    }
    if (!(command in STDOUT_JSON) && option(config, 'junit', true) &&
            fileExists("${reports}/${command}.junit.xml")) {
        junit(testResults: "kubepush-reports/${command}.junit.xml", allowEmptyResults: true)
    }
    echo("kubepush ${command}: " + result.findAll { k, v -> k != 'report' }.collect { k, v -> "${k}=${v}" }.join(' '))
    if (result.exitCode == 2) {
        error("kubepush ${command}: usage or environment error (exit 2), see the log above")
    }
    if (result.exitCode == 1 && option(config, 'failOnFindings', true)) {
        error("kubepush ${command}: findings (exit 1): ${result.errors ?: result.findings} - failOnFindings: false to go on")
    }
    return result
}

/** The venv's bin directory to put first on PATH ('' when kubepush comes from the agent's PATH);
 *  one venv per build, reused by later steps with the same kubepushSource and pipArgs. */
def install(Map config) {
    // the step's option, else the KUBEPUSH_SOURCE / KUBEPUSH_PIP_ARGS environment (e.g. set once for all
    // jobs: an internal mirror, a wheel), else the release this library belongs to
    String source = config.containsKey('kubepushSource') ? config.kubepushSource :
            (env.KUBEPUSH_SOURCE ?: 'kubepush[cluster]==0.1.0')
    String pipArgs = config.containsKey('pipArgs') ? config.pipArgs : (env.KUBEPUSH_PIP_ARGS ?: '')
    if (!source) {
        return ''
    }
    String venv = "${env.WORKSPACE_TMP ?: pwd(tmp: true)}/kubepush-venv"
    withEnv(["KP_SOURCE=${source}", "KP_PIP_ARGS=${pipArgs ?: ''}", "KP_VENV=${venv}"]) {
        int code = sh(returnStatus: true, script: '''
            set -e
            if [ "$(cat "$KP_VENV/.kubepush-source" 2>/dev/null)" != "$KP_SOURCE $KP_PIP_ARGS" ]; then
              rm -rf "$KP_VENV"
              flags=--system-site-packages  # the agent's pip (when it has one) installs into the venv
              python3 -m pip --version >/dev/null 2>&1 && flags="$flags --without-pip"
              python3 -m venv $flags "$KP_VENV"
              "$KP_VENV/bin/python" -m pip install --quiet --disable-pip-version-check $KP_PIP_ARGS "$KP_SOURCE"
              printf '%s' "$KP_SOURCE $KP_PIP_ARGS" > "$KP_VENV/.kubepush-source"
            fi
            PATH="$KP_VENV/bin:$PATH" kubepush --version
        ''')
        if (code != 0) {
            error("kubepush: could not install '${source}' (kubepushSource) into ${venv}: exit ${code}, see the log")
        }
    }
    // pip leaves no kubepush in the venv when the agent's site-packages already satisfy the requirement
    return "${venv}/bin"
}

/** The kubepush argv for command from the config (lists: a List, or one per line / comma-separated). */
List arguments(String command, Map config, String reports) {
    List argv = [command]
    List positional = []
    for (String name in INPUTS[command]) {
        String kind = FLAGS[name][0]
        String flag = FLAGS[name][1]
        def given = config.containsKey(name) && config[name] != null && config[name] != '' ? config[name] :
                (DEFAULTS[command] ?: [:])[name]
        if (given == null || given == '') {
            continue
        }
        if (kind == 'value') {
            argv += [flag, given.toString()]
        } else if (kind == 'list') {
            items(given).each { argv += [flag, it] }
        } else if (kind == 'paths') {
            positional = items(given, false)
        } else {
            boolean on = bool(name, given)
            if ((kind == 'flag' && on) || (kind == 'negate' && !on)) {
                argv << flag
            } else if (kind == 'tristate') {
                argv << (on ? "--${flag}" : "--no-${flag}")
            }
        }
    }
    argv += items(config.args ?: '', false, true)
    if (command in ['bump', 'revert']) {
        argv += ['-o', 'json']
    } else if (command == 'targets') {
        argv += ['--format', 'json']
    } else {
        argv += ['--report', "junit=${reports}/${command}.junit.xml", '--report', "json=${reports}/${command}.json",
                 '--summary-md', "${reports}/${command}.md"]
    }
    return positional ? argv + ['--'] + positional : argv
}

List items(def value, boolean commas = true, boolean words = false) {
    if (value instanceof Collection) {
        return value.collect { it.toString().trim() }.findAll { it }
    }
    String text = value.toString()
    if (words) {
        return text.split(/\s+/).findAll { it } as List  // args: split like a shell would, without quotes
    }
    return (commas ? text.replace(',', '\n') : text).readLines().collect { it.trim() }.findAll { it }
}

/** A true/false option of the step (true, false, 'true' or 'false'), else its default. */
boolean option(Map config, String name, boolean otherwise) {
    return config.containsKey(name) && config[name] != null ? bool(name, config[name]) : otherwise
}

boolean bool(String name, def value) {
    if (value instanceof Boolean) {
        return value
    }
    if (!(value.toString() in ['true', 'false'])) {
        error("kubepush: ${name}: expected true or false, got '${value}'")
    }
    return value.toString() == 'true'
}

/** One POSIX-shell word per argument: the script evals it back into "$@" (no secret is in it). */
String shellQuote(List argv) {
    return argv.collect { "'" + it.toString().replace("'", "'\"'\"'") + "'" }.join(' ')
}

/** Binds the step's credentials for body: kubeconfig (Secret file), forge token (Secret text),
 *  registry logins (Username with password, one per host, as a DOCKER_CONFIG). */
def withSecrets(Map config, Closure body) {
    List bindings = []
    if (config.kubeconfigCredentialsId) {
        bindings << file(credentialsId: config.kubeconfigCredentialsId, variable: 'KUBECONFIG')
    }
    if (config.tokenCredentialsId) {
        // the forge's variable (kubepush picks the one of the forge it talks to)
        ['GITHUB_TOKEN', 'GITLAB_TOKEN', 'GITEA_TOKEN'].each {
            bindings << string(credentialsId: config.tokenCredentialsId, variable: it)
        }
    }
    List registries = (config.registryCredentials ?: [:]).collect { host, id -> [host, id] }
    registries.eachWithIndex { entry, i ->
        bindings << usernamePassword(credentialsId: entry[1], usernameVariable: "KP_REGISTRY_USER_${i}",
                                     passwordVariable: "KP_REGISTRY_PASSWORD_${i}")
    }
    if (!bindings) {
        return body()
    }
    withCredentials(bindings) {
        if (!registries) {
            return body()
        }
        withEnv(["KP_REGISTRY_HOSTS=${registries.collect { it[0] }.join(' ')}",
                 "DOCKER_CONFIG=${pwd(tmp: true)}/kubepush-docker"]) {
            sh('''python3 - <<'PY'
import base64, json, os
hosts = os.environ["KP_REGISTRY_HOSTS"].split()
auths = {h: {"auth": base64.b64encode(("%s:%s" % (os.environ["KP_REGISTRY_USER_%d" % i],
        os.environ["KP_REGISTRY_PASSWORD_%d" % i])).encode()).decode()} for i, h in enumerate(hosts)}
os.makedirs(os.environ["DOCKER_CONFIG"], mode=0o700, exist_ok=True)
path = os.path.join(os.environ["DOCKER_CONFIG"], "config.json")
with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
    json.dump({"auths": auths}, out)
PY''')
            try {
                return body()
            } finally {
                sh('rm -rf "$DOCKER_CONFIG"')
            }
        }
    }
}

/** The report as this command's section of the target's sticky PR comment; a failure only warns. */
def comment(String command, Map config, String summary) {
    if (!env.CHANGE_ID) {
        echo("kubepush ${command}: comment: not a pull request build, no comment")
        return
    }
    String target = items(config.target ?: '').join(', ') ?: 'all'
    List where = (config.forge ? ['--forge', config.forge] : []) + (config.forgeUrl ? ['--forge-url', config.forgeUrl] : [])
    withEnv(["KP_TARGET=${target}", "KP_SECTION=${command}", "KP_SUMMARY=${summary}", "KP_WHERE=${shellQuote(where)}"]) {
        int code = sh(returnStatus: true, script: 'eval "set -- $KP_WHERE"; ' +
                      'kubepush comment --target "$KP_TARGET" --section "$KP_SECTION" --from "$KP_SUMMARY" "$@"')
        if (code != 0) {
            echo("kubepush ${command}: comment: could not post the comment (exit ${code}); the report is the JUnit result")
        }
    }
}

@NonCPS
Map parseJson(String text) {
    return new JsonSlurperClassic().parseText(text) as Map
}
