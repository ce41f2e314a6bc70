#!/usr/bin/env bash
# Enables the rabbitmq_stream plugin (online, idempotent) and waits until the stream port
# (5552) accepts connections. Without it the sluice/amqp-stream tests fail under CI.
set -uo pipefail
if ! command -v rabbitmq-plugins >/dev/null 2>&1; then
  echo "ensure-rabbitmq-stream: rabbitmq-plugins not found; stream tests will fail (SLUICE_REQUIRE_BROKER=${SLUICE_REQUIRE_BROKER:-})" >&2
  exit 0
fi
rabbitmq-plugins enable rabbitmq_stream >/dev/null || echo "ensure-rabbitmq-stream: could not enable rabbitmq_stream" >&2
for _ in $(seq 1 60); do
  if node -e "const s=require('net').connect(5552,'127.0.0.1');s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1))" 2>/dev/null; then
    echo "ensure-rabbitmq-stream: stream port 5552 up"
    exit 0
  fi
  sleep 1
done
echo "ensure-rabbitmq-stream: port 5552 did not open within 60 s" >&2
exit 0
