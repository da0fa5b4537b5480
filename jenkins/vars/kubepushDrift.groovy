// kubepushDrift(Map config): kubepush drift as a pipeline step - see kubepushDrift.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('drift', config)
}
