#!/usr/bin/env bash
# Runs the JDBC example (client-examples/jdbc/HangarJdbc.java) with the Flight SQL JDBC driver
# against a live node (start one with ./hangar serve):  run-jdbc.sh [127.0.0.1:8815] [cache/tenant1/sales]
# The driver jar is shaded and runs in this JVM alone; Maven copies it to client-examples/target/jdbc/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
driver="$root/client-examples/target/jdbc/flight-sql-jdbc-driver.jar"
if [ ! -f "$driver" ]; then
  (cd "$root" && mvn -B -q -DskipTests install -pl client-examples -am)
fi
exec java --add-opens=java.base/java.nio=ALL-UNNAMED -Djava.util.logging.config.file=/dev/null \
  -cp "$driver" "$root/client-examples/jdbc/HangarJdbc.java" "$@"
