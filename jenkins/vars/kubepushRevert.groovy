// kubepushRevert(Map config): kubepush revert as a pipeline step - see kubepushRevert.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('revert', config)
}
