#!/usr/bin/env bash
# Builds the benchmarks and runs LimitsBench: put throughput over Flight RPC with no limit policies,
# with quotas that admit every put, and with a full ephemeral scope (every put evicts), in one run.
# Arguments: --clients 8 --puts 4000 --batches 4 --rows 1024 --resident 100,5000 --runs 5
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
exec java --add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED -Xmx${BENCH_HEAP:-2g} -XX:MaxDirectMemorySize=10g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.LimitsBench "$@"
