#!/usr/bin/env bash
# Builds the benchmarks and runs SqlBench: a GROUP BY over a 10M-row flight end to end through the
# Flight SQL JDBC driver (its own JVM) and the Java ADBC driver, against DuckDB in process over the
# same Arrow data (the floor) and DuckDB over the same data in a Parquet file, in one run.
# Arguments: --rows 10000000 --runs 7 --warmup 2
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
(cd "$root" && mvn -B -q -DskipTests install -pl bench -am)
exec java --add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED -Xmx${BENCH_HEAP:-2g} -XX:MaxDirectMemorySize=8g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dhangar.bench.jdbc="$root/bench/target/jdbc/flight-sql-jdbc-driver.jar" -Dhangar.bench.jdbcMain="$root/bench/jdbc/JdbcBench.java" \
  -cp "$root/bench/target/classes:$root/bench/target/lib/*" dev.hangar.bench.SqlBench "$@"
