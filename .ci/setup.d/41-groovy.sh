#!/usr/bin/env bash
# The Jenkins shared library (jenkins/vars/*.groovy) is executed by tests/integration/ci/test_jenkins.py
# with Debian's groovy 2.4 (the Groovy line Jenkins' CPS engine runs) on OpenJDK 17.
set -euo pipefail
if command -v groovy >/dev/null && [ -d /usr/lib/jvm/java-17-openjdk-amd64 ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
[ -n "${KUBEPUSH_APT_UPDATED:-}" ] || apt-get update
apt-get install -y --no-install-recommends groovy openjdk-17-jdk-headless
