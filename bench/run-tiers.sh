#!/usr/bin/env bash
# Builds the benchmarks and runs TierThroughputBench: each Hangar storage type vs a bare Java
# producer and a pyarrow server, with Java and pyarrow clients. Arguments: --gib 1.0 --runs 5 --warmup 2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
cd "$root"
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx2g -XX:MaxDirectMemorySize=12g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.TierThroughputBench "$@"
