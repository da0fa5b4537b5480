// kubepushStatus(Map config): kubepush status as a pipeline step - see kubepushStatus.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('status', config)
}
