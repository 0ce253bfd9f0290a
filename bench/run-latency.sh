#!/usr/bin/env bash
# Where the 8-thread DoGet tail goes: starts a node (memory tier, operations port on), reads a 1 KiB flight with
# 8 pyarrow client threads, and prints the client's p50/p99 beside the server's own from its latency histogram.
# As root, the rounds alternate the node between normal priority and nice -15 (bench/python/get_latency.py).
# Arguments go to get_latency.py: --seconds 5 --rounds 3 --threads 8
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=18815 http=18816 capacity=512MiB
source "$root/bench/start-node.sh"
renice=()
[ "$(id -u)" = 0 ] && renice=(--renice "$node")   # the launcher execs the JVM, so $! is the node's pid
cd "$root/bench/python"
"$root/.venv/bin/python" get_latency.py --url grpc+tcp://127.0.0.1:18815 --http 127.0.0.1:18816 "${renice[@]}" "$@"
