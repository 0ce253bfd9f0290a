package dev.hangar.server;

import static dev.hangar.server.FlightRpcIT.assertFlightError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** SQL over flights through Arrow's own Flight SQL client, against DuckDB over the same data. */
class SqlIT {
  static final String SALES1 = "cache/tenant1/sales";
  static final String SALES2 = "cache/tenant2/sales";

  /** Runs {@code sql} and reads the whole result, rendered as {@link SqlReference#rows}, sorted. */
  static List<String> rows(FlightSqlClient sql, FlightInfo info) throws Exception {
    List<String> out = new ArrayList<>();
    try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket())) {
      while (stream.next()) {
        out.addAll(SqlReference.rows(stream.getRoot()));
      }
    }
    return SqlReference.sorted(out);
  }

  static List<String> query(FlightSqlClient sql, String query) throws Exception {
    return rows(sql, sql.execute(query));
  }

  static final List<String> QUERIES = List.of(
      "SELECT region, sum(amount), count(*), min(price), max(\"at\") FROM \"" + SALES1 + "\" GROUP BY 1",
      "SELECT * FROM \"" + SALES1 + "\"",
      "select id, tags, price from \"CACHE/TENANT1/SALES\" where id % 3 = 0",
      "SELECT a.region, count(*) FROM \"" + SALES1 + "\" a JOIN \"" + SALES2 + "\" b ON a.region = b.region GROUP BY ALL",
      "SELECT id FROM \"" + SALES1 + "\" UNION ALL SELECT id FROM \"" + SALES1 + "\"",
      "SELECT count(*) FROM \"" + SALES1 + "\" x, \"" + SALES1 + "\" y WHERE x.id = y.id + 1",
      "SELECT \"" + SALES1 + "\".region FROM \"" + SALES1 + "\" WHERE id IN (SELECT max(id) FROM \"" + SALES1 + "\" GROUP BY region)",
      "WITH r AS (SELECT region, amount FROM \"" + SALES2 + "\") SELECT region, avg(amount) FROM r GROUP BY region;",
      "FROM \"" + SALES2 + "\" SELECT id * 2 AS twice WHERE amount IS NULL",
      "SELECT 42 AS answer, 'no flight' AS t");

  @Test
  void queriesOverFlightsMatchDuckDbOverTheSameData() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB");
        SqlReference ref = new SqlReference(h.allocator);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put(SALES1, TestData.wide(4, 1000, 1));
      h.put(SALES2, TestData.wide(3, 500, 2));
      ref.table(SALES1, TestData.wide(4, 1000, 1)).table(SALES2, TestData.wide(3, 500, 2));
      for (String q : QUERIES) {
        List<String> expected = ref.query(q.replace("CACHE/TENANT1/SALES", SALES1));
        assertThat(query(sql, q)).as(q).isNotEmpty().isEqualTo(expected);
      }
      FlightInfo info = sql.execute(QUERIES.get(1));
      assertThat(info.getSchema()).isEqualTo(ref.schema(QUERIES.get(1)));
      rows(sql, info);
      assertThat(sql.getExecuteSchema(QUERIES.get(0)).getSchema()).isEqualTo(ref.schema(QUERIES.get(0)));
    }
  }

  @Test
  void preparedStatementsBindParameters() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB");
        SqlReference ref = new SqlReference(h.allocator);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put(SALES1, TestData.wide(4, 1000, 1));
      ref.table(SALES1, TestData.wide(4, 1000, 1));
      String q = "SELECT id, region, amount FROM \"" + SALES1 + "\" WHERE id > ? AND region = ?";
      try (FlightSqlClient.PreparedStatement ps = sql.prepare(q)) {
        assertThat(ps.getParameterSchema().getFields()).extracting(Field::getType)
            .containsExactly(new ArrowType.Int(64, true), ArrowType.Utf8.INSTANCE);
        assertThat(ps.getResultSetSchema()).isEqualTo(ref.schema(q.replace("?", "NULL")));
        for (Object[] p : new Object[][] {{1_000_500L, "region-3"}, {1_002_000L, "region-7"}}) {
          try (VectorSchemaRoot params = VectorSchemaRoot.create(ps.getParameterSchema(), h.allocator)) {
            params.allocateNew();
            ((BigIntVector) params.getVector(0)).setSafe(0, (Long) p[0]);
            ((VarCharVector) params.getVector(1)).setSafe(0, ((String) p[1]).getBytes());
            params.setRowCount(1);
            ps.setParameters(params);
            List<String> expected = ref.query(q.replaceFirst("\\?", p[0].toString()).replaceFirst("\\?", "'" + p[1] + "'"));
            assertThat(rows(sql, ps.execute())).isNotEmpty().isEqualTo(expected);
          }
        }
      }
      h.awaitIdle();
      assertThat(h.server.sqlPending()).as("closed prepared statement is gone").isZero();
    }
  }

  @Test
  void badQueriesAnswerClearlyAndLeaveNothingBehind() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB"); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put(SALES1, TestData.wide(1, 100, 1));
      assertFlightError(() -> sql.execute("SELEC 1"), FlightStatusCode.INVALID_ARGUMENT,
          "Parser Error: syntax error at or near \"SELEC\"");
      assertFlightError(() -> sql.execute("SELECT * FROM \"cache/nope\""), FlightStatusCode.NOT_FOUND,
          "Cannot run the query: there is no flight \"cache/nope\" (a table in Hangar's SQL is a flight path in double quotes,"
              + " e.g. SELECT * FROM \"cache/tenant1/sales\"; ListFlights shows what there is)");
      assertThatThrownBy(() -> sql.execute("SELECT nope FROM \"" + SALES1 + "\""))
          .isInstanceOf(FlightRuntimeException.class)
          .satisfies(e -> {
            assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("Binder Error: Referenced column \"nope\" not found");
          });
      assertThatThrownBy(() -> sql.execute("SELECT * FROM read_csv('/etc/passwd')"))
          .satisfies(e -> {
            assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("Permission Error");
          });
      assertFlightError(() -> sql.execute("CREATE TABLE t AS SELECT 1"), FlightStatusCode.INVALID_ARGUMENT,
          "Hangar runs read-only queries (SELECT, WITH … SELECT, VALUES, FROM …); this statement is not one."
              + " To keep a result, store it as a flight with the query-to-flight action");
      assertFlightError(() -> sql.execute("SELECT 1; SELECT 2"), FlightStatusCode.INVALID_ARGUMENT,
          "Cannot run 2 statements at once: send one query per request");
      assertFlightError(() -> sql.executeUpdate("DELETE FROM x"), FlightStatusCode.INVALID_ARGUMENT,
          "Hangar's SQL is read-only: flights are written with DoPut, and a query's result is stored as a flight with the"
              + " query-to-flight action");
      assertFlightError(() -> sql.prepare("SELECT * FROM \"cache/nope\""), FlightStatusCode.NOT_FOUND,
          "Cannot run the query: there is no flight \"cache/nope\" (a table in Hangar's SQL is a flight path in double quotes,"
              + " e.g. SELECT * FROM \"cache/tenant1/sales\"; ListFlights shows what there is)");
      assertThat(query(sql, "SELECT count(*) FROM \"" + SALES1 + "\"")).containsExactly("100");
      h.awaitIdle();
      assertThat(h.server.sqlPending()).isZero();
    }
  }
}
