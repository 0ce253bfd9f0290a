# Sourced by the benchmark scripts that drive a standalone node from Python: builds the server, sets up the venv,
# and starts `./hangar serve` on one memory tier of $capacity, its Flight port $port and operations port $http
# (127.0.0.1), in a temporary directory $work. Waits until /ready; stops the node (and $extra_pids) on exit.
# Sets $node (the node's pid: the launcher execs the JVM).
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl flight-server -am)
work="$(mktemp -d)"
cat > "$work/hangar.yaml" <<YAML
server:
  host: 127.0.0.1
  port: $port
  http: {host: 127.0.0.1, port: $http}
storage:
  memory: {capacity: $capacity}
storageClasses:
  - prefix: ""
    tiers: [{storage: memory}]
YAML
HANGAR_NO_BUILD=1 "$root/hangar" serve --config "$work/hangar.yaml" > "$work/node.log" 2>&1 &
node=$!
extra_pids=()
trap 'kill $node "${extra_pids[@]}" 2>/dev/null; wait $node "${extra_pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$http/ready" > /dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$http/ready" > /dev/null || { echo "the node did not become ready:" >&2; cat "$work/node.log" >&2; exit 1; }
