// kubepushDiff(Map config): kubepush diff as a pipeline step - see kubepushDiff.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('diff', config)
}
