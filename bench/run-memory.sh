#!/usr/bin/env bash
# Builds the benchmarks and runs SmallFlightMemoryBench: 100,000 one-row flights from a pyarrow client
# into a memory tier; prints bytes accounted, RSS and heap growth per flight. Arguments: --flights 100000
# The JVM runs with the launcher's heap flags; BENCH_GC=' ' runs it with the JVM's defaults instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
cd "$root"
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx1g -XX:MaxDirectMemorySize=4g ${BENCH_GC:--XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=40 -XX:G1PeriodicGCInterval=300000} \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.SmallFlightMemoryBench "$@"
