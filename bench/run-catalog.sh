#!/usr/bin/env bash
# Builds the benchmarks and runs CatalogBench: heap per catalog entry of a durable-only flight (1M
# synthetic entries), and ListFlights of 1M one-row flights over Flight RPC.
# Arguments: --entries 1000000 --flights 1000000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/client-examples/python/setup-venv.sh"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
cd "$root"
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx8g -XX:MaxDirectMemorySize=8g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.CatalogBench "$@"
