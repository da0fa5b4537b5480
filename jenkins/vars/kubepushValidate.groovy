// kubepushValidate(Map config): kubepush validate as a pipeline step - see kubepushValidate.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('validate', config)
}
