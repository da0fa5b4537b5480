// kubepushTargets(Map config): the targets a change affects (kubepush targets) - see kubepushTargets.txt. The work is in kubepush.groovy.
def call(Map config = [:]) {
    return kubepush.runStep('targets', config)
}
