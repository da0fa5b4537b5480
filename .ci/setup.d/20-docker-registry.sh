#!/usr/bin/env bash
# Registry client tests (tests/unit/registry/, tests/faults/test_registry.py) run against a real distribution
# v2 registry: Debian's docker-registry package. The tests start
# /usr/bin/docker-registry themselves on 127.0.0.1 with a free port; the system
# service the package ships is not wanted, so it is kept from starting.
set -euo pipefail
if [ -x /usr/bin/docker-registry ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
[ -n "${KUBEPUSH_APT_UPDATED:-}" ] || apt-get update
cleanup=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  # Exit 101 = "action not allowed": invoke-rc.d then skips starting the service.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  cleanup=/usr/sbin/policy-rc.d
fi
apt-get install -y --no-install-recommends docker-registry
if [ -n "$cleanup" ]; then rm -f "$cleanup"; fi
