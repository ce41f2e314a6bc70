#!/usr/bin/env bash
# The benchmark report test opens the HTML report in headless Chromium (Debian's package).
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null \
  || echo "ensure-chromium: install failed; the report test will fail under CI=true" >&2
