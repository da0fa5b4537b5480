// kubepushBump(Map config): kubepush bump as a pipeline step - see kubepushBump.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('bump', config)
}
