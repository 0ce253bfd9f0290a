#!/usr/bin/env bash
# Where the 8-thread DoGet tail goes: starts a node (memory tier, operations port on), reads a 1 KiB flight with
# 8 pyarrow client threads, and prints the client's p50/p99 beside the server's own from its latency histogram.
# As root, the rounds alternate the node between normal priority and nice -15 (bench/python/get_latency.py).
# Arguments go to get_latency.py: --seconds 5 --rounds 3 --threads 8
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl flight-server -am)
work="$(mktemp -d)"
cat > "$work/hangar.yaml" <<YAML
server:
  host: 127.0.0.1
  port: 18815
  http: {host: 127.0.0.1, port: 18816}
storage:
  memory: {capacity: 512MiB}
storageClasses:
  - prefix: ""
    tiers: [{storage: memory}]
YAML
HANGAR_NO_BUILD=1 "$root/hangar" serve --config "$work/hangar.yaml" > "$work/node.log" 2>&1 &
node=$!
trap 'kill $node 2>/dev/null; wait $node 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 60); do curl -sf http://127.0.0.1:18816/ready > /dev/null && break; sleep 1; done
curl -sf http://127.0.0.1:18816/ready > /dev/null || { echo "the node did not become ready:" >&2; cat "$work/node.log" >&2; exit 1; }
renice=()
[ "$(id -u)" = 0 ] && renice=(--renice "$node")   # the launcher execs the JVM, so $! is the node's pid
cd "$root/bench/python"
"$root/.venv/bin/python" get_latency.py --url grpc+tcp://127.0.0.1:18815 --http 127.0.0.1:18816 "${renice[@]}" "$@"
