#!/usr/bin/env bash
# Makes sure the local Redis (127.0.0.1:6379) answers: the RedisDedupStore tests and the
# fleet test (spec/adapters/amqp/*redis*.spec.ts) need it; the fleet test restarts it itself.
set -uo pipefail
if ! command -v redis-server >/dev/null 2>&1; then
  echo "ensure-redis: installing Debian's redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null \
    || { echo "ensure-redis: install failed; the Redis tests will fail under CI" >&2; exit 0; }
fi
if redis-cli ping 2>/dev/null | grep -q PONG; then
  echo "ensure-redis: redis up ($(redis-server --version | cut -d' ' -f3))"
  exit 0
fi
echo "ensure-redis: starting redis-server"
mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
for _ in $(seq 1 50); do
  redis-cli ping 2>/dev/null | grep -q PONG && { echo "ensure-redis: redis up"; exit 0; }
  sleep 0.2
done
echo "ensure-redis: redis-server did not answer; the Redis tests will fail under CI" >&2
