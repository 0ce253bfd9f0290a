#!/usr/bin/env bash
# Runs the Java ADBC example against a live node (start one with ./hangar serve):
#   run-adbc.sh [grpc://127.0.0.1:8815] [cache/tenant1/sales]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(cd "$root" && mvn -B -q -DskipTests install -pl client-examples -am)
exec java --add-opens=java.base/java.nio=ALL-UNNAMED \
  -cp "$root/client-examples/target/classes:$root/client-examples/target/lib/*" dev.hangar.examples.AdbcTour "$@"
