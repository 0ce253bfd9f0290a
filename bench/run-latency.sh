#!/usr/bin/env bash
# Where the 8-thread DoGet tail goes: starts a node (memory tier, operations port on), reads a 1 KiB flight with
# 8 pyarrow client threads, and prints the client's p50/p99 beside the server's own from its latency histogram.
# As root, the rounds alternate the node between normal priority and nice -15 (bench/python/get_latency.py).
# Each round also reads the flight from the pyarrow server (bench/python/pyarrow_server.py), and every line gives
# the CPU a call cost the clients and the server.
# Arguments go to get_latency.py: --seconds 5 --rounds 3 --threads 8
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=18815 http=18816 capacity=512MiB
source "$root/bench/start-node.sh"
"$root/.venv/bin/python" "$root/bench/python/pyarrow_server.py" > "$work/peer.port" &
peer=$!
extra_pids+=($peer)
for _ in $(seq 30); do [ -s "$work/peer.port" ] && break; sleep 1; done
renice=()
[ "$(id -u)" = 0 ] && renice=(--renice "$node")   # the launcher execs the JVM, so $! is the node's pid
cd "$root/bench/python"
"$root/.venv/bin/python" get_latency.py --url grpc+tcp://127.0.0.1:18815 --http 127.0.0.1:18816 --pid "$node" \
  --peer "grpc+tcp://127.0.0.1:$(head -1 "$work/peer.port")" --peer-pid "$peer" "${renice[@]}" "$@"
