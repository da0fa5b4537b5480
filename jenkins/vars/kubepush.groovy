// Shared by the kubepush* steps (kubepushValidate, kubepushBump, kubepushDiff, kubepushApply,
// kubepushDrift, kubepushRevert, kubepushTargets): install kubepush, bind the credentials, run the
// installed kubepush's step runner (python3 -m kubepush.ci.jenkins: it maps the step's config - the
// GitHub Action's and the GitLab templates' inputs, in camelCase - to flags with the same code as
// theirs, runs kubepush and hands back the result), publish JUnit, and return what the pipeline
// acts on. Usable directly too: kubepush(command: 'validate', ...).
//
// Secrets only through credentials (withCredentials: Jenkins masks them in the log); every sh
// script here is a single-quoted literal, its data passes through the environment (the config as
// JSON: credential ids, never a secret), so Groovy never interpolates a secret - or an argument -
// into shell text.
import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic

def call(Map config = [:]) {
    Map rest = new LinkedHashMap(config)
    rest.remove('command')
    return runStep("${config.command}", rest)  // the runner names the commands when it is none of them
}

/** Runs ``kubepush command`` for a kubepush* step; returns the result map (see the steps' help). */
def runStep(String command, Map config) {
    String reports = "${pwd()}/kubepush-reports"
    String venvBin = install(config)
    Map step = [:]
    dir(config.workingDirectory ?: '.') {
        List environment = ["KP_CONFIG=${JsonOutput.toJson(config)}", "KP_REPORTS=${reports}", "KP_COMMAND=${command}"]
        if (venvBin) {
            environment << "PATH+KUBEPUSH=${venvBin}"
        }
        withEnv(environment) {
            withSecrets(config) {
                // maps the options (a bad one: step.error), runs kubepush, logs; stdout is the step's JSON
                step = parseJson(sh(returnStdout: true,
                                    script: 'python3 -m kubepush.ci.jenkins run "$KP_COMMAND" "$KP_REPORTS"'))
            }
        }
    }
    if (step.junit && fileExists("${reports}/${command}.junit.xml")) {
        junit(testResults: "kubepush-reports/${command}.junit.xml", allowEmptyResults: true)
    }
    if (fileExists("${reports}/${command}.html")) {  // diff: the reviewer's HTML report, kept with the build
        archiveArtifacts(artifacts: "kubepush-reports/${command}.html", allowEmptyArchive: true)
    }
    if (step.error) {
        error(step.error)
    }
    return step.result
}

/** The venv's bin directory to put first on PATH ('' when kubepush comes from the agent's PATH);
 *  one venv per build, reused by later steps with the same kubepushSource and pipArgs. */
def install(Map config) {
    // the step's option, else the KUBEPUSH_SOURCE / KUBEPUSH_PIP_ARGS environment (e.g. set once for all
    // jobs: an internal mirror, a wheel), else the release this library belongs to
    String source = config.containsKey('kubepushSource') ? config.kubepushSource :
            (env.KUBEPUSH_SOURCE ?: 'kubepush[cluster,sops]==0.1.0')
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

/** Binds the step's credentials for body: kubeconfig (Secret file), forge token (Secret text),
 *  the SOPS age key (Secret text), registry logins (Username with password, one per host, as a DOCKER_CONFIG). */
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
    if (config.sopsAgeKeyCredentialsId) {
        // the age private key for SOPS-encrypted manifests (Secret text): sops reads SOPS_AGE_KEY
        bindings << string(credentialsId: config.sopsAgeKeyCredentialsId, variable: 'SOPS_AGE_KEY')
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

@NonCPS
Map parseJson(String text) {
    return new JsonSlurperClassic().parseText(text) as Map
}
