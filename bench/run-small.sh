#!/usr/bin/env bash
# Builds the benchmarks and runs SmallFlightBench: ~1 KiB flights, DoGet/DoPut with 1 and 8 pyarrow
# client threads, against Hangar (memory, disk_mapped), a pyarrow server and a bare Java producer.
# Arguments: --seconds 3 --rounds 3
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
cd "$root"
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx2g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.SmallFlightBench "$@"
