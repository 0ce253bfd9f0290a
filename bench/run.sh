#!/usr/bin/env bash
# Builds the benchmarks and runs FlightThroughputBench (Hangar's memory tier vs a bare in-memory
# Flight producer, same JVM, same run). Arguments pass through: --gib 1.0 --runs 9 --warmup 3
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx2g -XX:MaxDirectMemorySize=10g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.FlightThroughputBench "$@"
