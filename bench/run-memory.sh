#!/usr/bin/env bash
# Builds the benchmarks and runs SmallFlightMemoryBench: 100,000 one-row flights from a pyarrow client
# into a memory tier; prints bytes accounted, RSS and heap growth per flight. Arguments: --flights 100000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
cd "$root"
exec java --add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED -Xmx2g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.SmallFlightMemoryBench "$@"
