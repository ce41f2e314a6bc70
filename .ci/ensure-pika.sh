#!/usr/bin/env bash
# The pika interop test (spec/adapters/amqp/interop-pika.spec.ts) runs Debian's python3-pika
# with /usr/bin/python3 (a pyenv python3 on PATH may lack it); amqp-tools gives amqp-publish
# and amqp-consume for poking the broker by hand. Installed only when missing.
set -uo pipefail
if /usr/bin/python3 -c 'import pika' >/dev/null 2>&1 && command -v amqp-publish >/dev/null 2>&1; then
  echo "ensure-pika: pika $(/usr/bin/python3 -c 'import pika; print(pika.__version__)')"
  exit 0
fi
echo "ensure-pika: installing Debian's python3-pika and amqp-tools"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-pika amqp-tools >/dev/null \
  || echo "ensure-pika: install failed; the pika interop test fails under CI" >&2
