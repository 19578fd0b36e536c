#!/usr/bin/env bash
# Installs what the test suites need beyond npm packages, idempotently and quickly when present:
# Debian nginx + openssl (TLS test), redis-server (multi-relay tests), and the real-VS-Code
# harness (code-server 4.100.3, Debian chromium; see harness/setup.sh). Needs root (apt-get)
# the first time on a fresh machine.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v git >/dev/null 2>&1 || missing+=(git)

if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-deps: installing ${missing[*]} (Debian packages)"
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps: need root for apt-get; install these packages and rerun: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # --no-install-recommends keeps it small; policy-rc.d-less containers don't start services.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash harness/setup.sh
