// kubepushApply(Map config): kubepush apply as a pipeline step - see kubepushApply.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('apply', config)
}
