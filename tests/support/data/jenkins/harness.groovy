// Runs Jenkins shared-library steps (jenkins/vars/*.groovy) - or a scripted Jenkinsfile - outside
// Jenkins, with the pipeline steps they use bound the way Jenkins behaves:
//   sh             really runs /bin/sh -xe in the current directory; returnStdout returns the stdout,
//                  returnStatus the exit code, otherwise a non-zero exit fails the step
//   withCredentials binds Secret text / Secret file / Username with password into the environment
//                  and masks the secret values (****) in the console log, as Jenkins does
//   withEnv, dir, pwd(tmp:), env, echo, error, unstable, junit, writeFile, readFile, fileExists,
//   node, stage, checkout, parallel, lock, properties, params, currentBuild, isUnix: recorded, or done
//                  for real on the workspace
// Usage: groovy harness.groovy SCENARIO.json OUTPUT.json
//   scenario: {vars, workspace, env, params, causes, credentials: {id: {type: string|file|usernamePassword,
//              ...}}, calls: [{step, config}] or jenkinsfile: PATH}
//   output:   {results: [{step, result, error}], log: masked console, raw: unmasked, junit: [...], archived: [...]}
import groovy.json.JsonOutput
import groovy.json.JsonSlurper

class StepFailed extends RuntimeException {
    StepFailed(String message) { super(message) }
}

class Steps {
    File workspace
    File cwd
    Map env = [:]
    Map credentials
    List masks = []
    List envStack = []
    StringBuilder log = new StringBuilder()
    StringBuilder raw = new StringBuilder()
    List junit = []
    List archived = []
    List locks = []
    Map params = [:]
    /** currentBuild: description/result are recorded; getBuildCauses answers from the scenario's causes. */
    Expando currentBuild = new Expando(description: null, result: null, causes: [])

    void emit(String text) {
        raw.append(text)
        String shown = text
        masks.findAll { it }.sort { -it.length() }.each { shown = shown.replace(it, '****') }
        log.append(shown)
        System.err.print(shown)
    }

    File resolve(String path) {
        File f = new File(path)
        return f.isAbsolute() ? f : new File(cwd, path)
    }

    /** The process environment: the agent's, the pipeline's env, then withEnv/withCredentials layers. */
    Map processEnv() {
        Map out = new LinkedHashMap(System.getenv())
        out.putAll(env.collectEntries { k, v -> [k, v.toString()] })
        envStack.each { Map layer ->
            layer.each { String k, String v ->
                if (k.startsWith('PATH+')) {
                    out.PATH = v + File.pathSeparator + out.PATH
                } else {
                    out[k] = v
                }
            }
        }
        return out
    }

    def withLayer(Map layer, Closure body) {
        envStack << layer
        try {
            return body()
        } finally {
            envStack.remove(envStack.size() - 1)
        }
    }

    def sh(def arg) {
        Map m = arg instanceof Map ? arg : [script: arg.toString()]
        emit("[Pipeline] sh\n")
        ProcessBuilder pb = new ProcessBuilder('/bin/sh', '-xec', m.script.toString()).directory(cwd)
        pb.environment().clear()
        pb.environment().putAll(processEnv())
        Process p = pb.start()
        ByteArrayOutputStream stdout = new ByteArrayOutputStream()
        ByteArrayOutputStream stderr = new ByteArrayOutputStream()
        Thread outReader = Thread.start { stdout << p.inputStream }
        Thread errReader = Thread.start { stderr << p.errorStream }
        int code = p.waitFor()
        outReader.join()
        errReader.join()
        String out = stdout.toString('UTF-8')
        if (!m.returnStdout) {
            emit(out)
        }
        emit(stderr.toString('UTF-8'))
        if (code != 0 && !m.returnStatus) {
            throw new StepFailed("script returned exit code ${code}")
        }
        return m.returnStatus ? code : m.returnStdout ? out : null
    }

    def withCredentials(List bindings, Closure body) {
        Map layer = [:]
        bindings.each { Map b ->
            Map c = credentials[b.credentialsId]
            if (c == null) {
                throw new StepFailed("Could not find credentials entry with ID '${b.credentialsId}'")
            }
            if (b.type == 'file') {
                File f = File.createTempFile('secret', '.file')
                f.deleteOnExit()
                f.text = c.content
                layer[b.variable] = f.path
            } else if (b.type == 'string') {
                layer[b.variable] = c.secret
                masks << c.secret
            } else {
                layer[b.usernameVariable] = c.username
                layer[b.passwordVariable] = c.password
                masks << c.password
            }
        }
        return withLayer(layer, body)
    }

    def dir(String path, Closure body) {
        File before = cwd
        cwd = resolve(path)
        cwd.mkdirs()
        try {
            return body()
        } finally {
            cwd = before
        }
    }

    def junit(def arg) {
        Map m = arg instanceof Map ? arg : [testResults: arg]
        def matcher = java.nio.file.FileSystems.default.getPathMatcher("glob:${m.testResults}")
        List files = []
        cwd.eachFileRecurse { File f ->
            if (matcher.matches(cwd.toPath().relativize(f.toPath()))) {
                files << f.path
            }
        }
        if (!files && !m.allowEmptyResults) {
            throw new StepFailed("No test report files were found. Configuration error?")
        }
        junit << [testResults: m.testResults, files: files, contents: files.collect { new File(it).text }]  // as recorded
        emit("Recording test results\n")
    }

    Binding binding() {
        Binding b = new Binding()
        b.setVariable('env', env)
        b.setVariable('sh', this.&sh)
        b.setVariable('echo', { String s -> emit("${s}\n") })
        b.setVariable('error', { String s -> throw new StepFailed(s) })
        b.setVariable('unstable', { def s -> emit("WARNING: ${s}\n") })
        b.setVariable('withCredentials', this.&withCredentials)
        b.setVariable('withEnv', { List vars, Closure body ->
            withLayer(vars.collectEntries { String v -> def kv = v.split('=', 2); [kv[0], kv.length > 1 ? kv[1] : ''] },
                      body)
        })
        b.setVariable('dir', this.&dir)
        b.setVariable('pwd', { Map m = [:] ->
            if (m.tmp) {
                File tmp = new File(workspace.path + '@tmp')
                tmp.mkdirs()
                return tmp.path
            }
            return cwd.path
        })
        b.setVariable('junit', this.&junit)
        b.setVariable('archiveArtifacts', { Map m ->  // recorded as Jenkins keeps them: the files the glob matches
            def matcher = java.nio.file.FileSystems.default.getPathMatcher("glob:${m.artifacts}")
            List files = []
            cwd.eachFileRecurse { File f ->
                if (matcher.matches(cwd.toPath().relativize(f.toPath()))) {
                    files << f.path
                }
            }
            archived << [artifacts: m.artifacts, files: files]
            emit("Archiving artifacts\n")
        })
        b.setVariable('writeFile', { Map m -> resolve(m.file).text = m.text })
        b.setVariable('readFile', { def m -> resolve(m instanceof Map ? m.file : m.toString()).getText('UTF-8') })
        b.setVariable('fileExists', { String path -> resolve(path).exists() })
        b.setVariable('isUnix', { -> true })
        b.setVariable('file', { Map m -> m + [type: 'file'] })
        b.setVariable('string', { Map m -> m + [type: 'string'] })
        b.setVariable('usernamePassword', { Map m -> m + [type: 'usernamePassword'] })
        b.setVariable('node', { def label = null, Closure body -> body() })
        b.setVariable('stage', { String name, Closure body -> emit("[Pipeline] stage (${name})\n"); body() })
        b.setVariable('checkout', { def scm -> emit("[Pipeline] checkout\n") })
        b.setVariable('scm', [:])
        b.setVariable('params', params)
        b.setVariable('currentBuild', currentBuild)
        b.setVariable('properties', { List props -> emit("[Pipeline] properties\n") })
        b.setVariable('parameters', { List defs -> defs })
        b.setVariable('pipelineTriggers', { List triggers -> triggers })
        b.setVariable('cron', { String spec -> [cron: spec] })
        b.setVariable('lock', { String resource, Closure body ->
            emit("[Pipeline] lock (${resource})\n")
            locks << resource
            body()
        })
        b.setVariable('parallel', { Map branches ->
            branches.each { name, Closure body -> emit("[Pipeline] branch ${name}\n"); body() }
        })
        return b
    }
}

def scenario = new JsonSlurper().parse(new File(args[0]))
Steps steps = new Steps(workspace: new File(scenario.workspace), credentials: scenario.credentials ?: [:])
steps.cwd = steps.workspace
steps.env.putAll([WORKSPACE: steps.workspace.path, WORKSPACE_TMP: steps.workspace.path + '@tmp'])
steps.env.putAll(scenario.env ?: [:])
steps.params.putAll(scenario.params ?: [:])
steps.currentBuild.causes = scenario.causes ?: []
steps.currentBuild.getBuildCauses = { String type -> steps.currentBuild.causes.findAll { it == type } }
Binding binding = steps.binding()
// Jenkins compiles vars/ with the CPS engine's @NonCPS imported, and reads @Library('kubepush') _ in a
// Jenkinsfile itself: here both are plain annotations (the library's vars are always loaded).
GroovyClassLoader annotations = new GroovyClassLoader(this.class.classLoader)
annotations.parseClass("""package com.cloudbees.groovy.cps
@java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME) @interface NonCPS {}""")
annotations.parseClass("""package org.jenkinsci.plugins.workflow.libs
@interface Library { String[] value() }""")
def compiler = new org.codehaus.groovy.control.CompilerConfiguration()
compiler.addCompilationCustomizers(new org.codehaus.groovy.control.customizers.ImportCustomizer().addImports(
        'com.cloudbees.groovy.cps.NonCPS', 'org.jenkinsci.plugins.workflow.libs.Library'))
GroovyShell shell = new GroovyShell(annotations, binding, compiler)
new File(scenario.vars).eachFileMatch(~/.*\.groovy/) { File f ->
    binding.setVariable(f.name - '.groovy', shell.parse(f))  // a global variable, as Jenkins makes vars/*
}

List results = []
def attempt = { String step, Closure body ->
    try {
        results << [step: step, result: body(), error: null]
    } catch (StepFailed e) {
        steps.emit("ERROR: ${e.message}\n")
        results << [step: step, result: null, error: e.message]
    }
}
if (scenario.jenkinsfile) {
    attempt('Jenkinsfile') { shell.evaluate(new File(scenario.jenkinsfile)) }
} else {
    scenario.calls.each { Map call ->
        attempt(call.step) { binding.getVariable(call.step).call(new LinkedHashMap(call.config ?: [:])) }
    }
}
new File(args[1]).text = JsonOutput.toJson([results: results, log: steps.log.toString(), raw: steps.raw.toString(),
                                            junit: steps.junit, archived: steps.archived, locks: steps.locks,
                                            description: steps.currentBuild.description])
