#!/usr/bin/env bash
# Puts with each IPC compression (none, zstd, lz4_frame): starts a node (memory tier) and the pyarrow server
# (bench/python/pyarrow_server.py), puts the same 183 MiB table (8 M rows of int64 + short strings, 1 M-row
# batches) to each with one pyarrow client, alternating, and prints the median seconds and Hangar / pyarrow,
# then the median time of one SQL query (ADBC) over the flight Hangar stored, and the node's CPU seconds per put.
# Arguments go to put_codecs.py: --rounds 5 --rows 8000000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=18825 http=18826 capacity=2GiB
source "$root/bench/start-node.sh"
"$root/.venv/bin/python" "$root/bench/python/pyarrow_server.py" > "$work/peer.port" &
extra_pids+=($!)
for _ in $(seq 30); do [ -s "$work/peer.port" ] && break; sleep 1; done
"$root/.venv/bin/python" "$root/bench/python/put_codecs.py" --hangar grpc+tcp://127.0.0.1:18825 \
  --peer "grpc+tcp://127.0.0.1:$(head -1 "$work/peer.port")" --hangar-pid "$node" "$@"
