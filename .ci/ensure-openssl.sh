#!/usr/bin/env bash
# The amqps:// tests make a throwaway CA and certificates with openssl (Debian's package).
set -uo pipefail
if command -v openssl >/dev/null 2>&1; then
  echo "ensure-openssl: $(openssl version)"
  exit 0
fi
echo "ensure-openssl: installing Debian's openssl"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends openssl >/dev/null \
  || echo "ensure-openssl: install failed; the TLS tests will fail under SLUICE_REQUIRE_BROKER=1" >&2
