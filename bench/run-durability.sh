#!/usr/bin/env bash
# Builds the benchmarks and runs DurabilityBench: put throughput with durability none, weak and strong
# to S3 (S3Proxy on loopback) and a directory, and restore vs a plain S3 GET. Arguments: --mib 256 --runs 5 --warmup 1 --s3-backend disk|memory
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx${BENCH_HEAP:-2g} -XX:MaxDirectMemorySize=10g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.DurabilityBench "$@"
