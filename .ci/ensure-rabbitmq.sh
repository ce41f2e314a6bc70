#!/usr/bin/env bash
# Makes sure the local RabbitMQ broker is running and has no alarm or watermark left over
# from a fault-injection test.
set -uo pipefail
if ! command -v rabbitmqctl >/dev/null 2>&1; then
  echo "ensure-rabbitmq: rabbitmqctl not found; broker tests will fail (SLUICE_REQUIRE_BROKER=${SLUICE_REQUIRE_BROKER:-})" >&2
  exit 0
fi
if ! rabbitmqctl status >/dev/null 2>&1; then
  echo "ensure-rabbitmq: starting rabbitmq-server"
  rabbitmq-server -detached || true
fi
rabbitmqctl await_startup >/dev/null 2>&1 || { sleep 5; rabbitmqctl await_startup; }
rabbitmqctl start_app >/dev/null 2>&1 || true
rabbitmqctl set_vm_memory_high_watermark 0.4 >/dev/null 2>&1 || true
echo "ensure-rabbitmq: broker up"
