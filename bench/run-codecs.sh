#!/usr/bin/env bash
# Puts with each IPC compression (none, zstd, lz4_frame): starts a node (memory tier) and the pyarrow server
# (bench/python/pyarrow_server.py), puts the same 183 MiB table (8 M rows of int64 + short strings, 1 M-row
# batches) to each with one pyarrow client, alternating, and prints the median seconds and Hangar / pyarrow,
# then the median time of one SQL query (ADBC) over the flight Hangar stored.
# Arguments go to put_codecs.py: --rounds 5 --rows 8000000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl flight-server -am)
work="$(mktemp -d)"
cat > "$work/hangar.yaml" <<YAML
server:
  host: 127.0.0.1
  port: 18825
  http: {host: 127.0.0.1, port: 18826}
storage:
  memory: {capacity: 2GiB}
storageClasses:
  - prefix: ""
    tiers: [{storage: memory}]
YAML
HANGAR_NO_BUILD=1 "$root/hangar" serve --config "$work/hangar.yaml" > "$work/node.log" 2>&1 &
node=$!
"$root/.venv/bin/python" "$root/bench/python/pyarrow_server.py" > "$work/peer.port" &
peer=$!
trap 'kill $node $peer 2>/dev/null; wait $node $peer 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 60); do curl -sf http://127.0.0.1:18826/ready > /dev/null && [ -s "$work/peer.port" ] && break; sleep 1; done
curl -sf http://127.0.0.1:18826/ready > /dev/null || { echo "the node did not become ready:" >&2; cat "$work/node.log" >&2; exit 1; }
"$root/.venv/bin/python" "$root/bench/python/put_codecs.py" --hangar grpc+tcp://127.0.0.1:18825 \
  --peer "grpc+tcp://127.0.0.1:$(head -1 "$work/peer.port")" "$@"
