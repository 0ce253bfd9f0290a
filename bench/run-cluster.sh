#!/usr/bin/env bash
# Builds the benchmarks and runs the cluster's two: PlacementSimulation (rendezvous balance and movement
# on 1M simulated flights, no server) and ClusterBench (one node against three on this machine, a mixed
# pyarrow workload; starts its own etcd, installed by tools/setup-etcd.sh if missing).
# Arguments go to ClusterBench: --seconds 5 --rounds 3
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
cd "$root"
cp="$root/bench/target/classes:$root/bench/target/lib/*"
java -Xmx2g -cp "$cp" dev.hangar.bench.PlacementSimulation --keys 1000000
echo
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx3g -XX:MaxDirectMemorySize=8g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" dev.hangar.bench.ClusterBench "$@"
