package dev.hangar.examples;

import static dev.hangar.examples.SqlFixture.SALES1;
import static dev.hangar.examples.SqlFixture.SALES2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.server.SqlReference;
import dev.hangar.server.TestData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.adbc.core.AdbcConnection;
import org.apache.arrow.adbc.core.AdbcDatabase;
import org.apache.arrow.adbc.core.AdbcDriver;
import org.apache.arrow.adbc.core.AdbcException;
import org.apache.arrow.adbc.core.AdbcStatement;
import org.apache.arrow.adbc.core.AdbcStatusCode;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlDriver;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** The Java ADBC Flight SQL driver against a real server; answers compared with DuckDB over the same data. */
class AdbcIT {
  static final List<String> QUERIES = List.of(
      "SELECT region, sum(amount), count(*), min(price), max(\"at\") FROM \"" + SALES1 + "\" GROUP BY 1",
      "SELECT * FROM \"" + SALES2 + "\"",
      "SELECT a.region, count(*) FROM \"" + SALES1 + "\" a JOIN \"" + SALES2 + "\" b ON a.region = b.region GROUP BY ALL",
      "SELECT id FROM \"" + SALES1 + "\" UNION ALL SELECT id FROM \"" + SALES1 + "\" WHERE amount > 1000");

  static AdbcDatabase open(SqlFixture f) throws AdbcException {
    return new FlightSqlDriver(f.allocator).open(Map.of(AdbcDriver.PARAM_URI.getKey(), "grpc+tcp://" + f.hostPort()));
  }

  static List<String> rows(AdbcStatement.QueryResult result) throws Exception {
    List<String> out = new ArrayList<>();
    try (result; ArrowReader reader = result.getReader()) {
      while (reader.loadNextBatch()) {
        out.addAll(SqlReference.rows(reader.getVectorSchemaRoot()));
      }
    }
    return SqlReference.sorted(out);
  }

  static List<String> query(AdbcConnection conn, String sql) throws Exception {
    try (AdbcStatement s = conn.createStatement()) {
      s.setSqlQuery(sql);
      return rows(s.executeQuery());
    }
  }

  @Test
  void adbcQueriesPreparedStatementsAndMetadata() throws Exception {
    try (SqlFixture f = new SqlFixture(); AdbcDatabase db = open(f); AdbcConnection conn = db.connect()) {
      for (String q : QUERIES) {
        assertThat(query(conn, q)).as(q).isNotEmpty().isEqualTo(f.reference.query(q));
      }
      try (AdbcStatement s = conn.createStatement()) {
        s.setSqlQuery("SELECT id, region, amount FROM \"" + SALES1 + "\" WHERE id > ? AND region = ?");
        s.prepare();
        assertThat(s.getParameterSchema().getFields()).extracting(Field::getType)
            .containsExactly(new ArrowType.Int(64, true), ArrowType.Utf8.INSTANCE);
        Schema params = new Schema(List.of(Field.nullable("a", new ArrowType.Int(64, true)), Field.nullable("b", ArrowType.Utf8.INSTANCE)));
        for (Object[] p : new Object[][] {{1_000_500L, "region-3"}, {1_002_000L, "region-7"}}) {
          try (VectorSchemaRoot bind = VectorSchemaRoot.create(params, f.allocator)) {
            ((BigIntVector) bind.getVector(0)).setSafe(0, (Long) p[0]);
            ((VarCharVector) bind.getVector(1)).setSafe(0, ((String) p[1]).getBytes(StandardCharsets.UTF_8));
            bind.setRowCount(1);
            s.bind(bind);
            assertThat(rows(s.executeQuery())).isNotEmpty().isEqualTo(f.reference.query(
                "SELECT id, region, amount FROM \"" + SALES1 + "\" WHERE id > " + p[0] + " AND region = '" + p[1] + "'"));
          }
        }
      }
      List<String> objects = new ArrayList<>();
      try (ArrowReader r = conn.getObjects(AdbcConnection.GetObjectsDepth.TABLES, null, null, null, null, null)) {
        while (r.loadNextBatch()) {
          objects.add(r.getVectorSchemaRoot().contentToTSVString());
        }
      }
      assertThat(String.join("", objects)).contains("memory", "main", SALES1, SALES2);
      objects.clear();
      try (ArrowReader r = conn.getObjects(AdbcConnection.GetObjectsDepth.ALL, "memory", "main", "cache/tenant2/%", null, null)) {
        while (r.loadNextBatch()) {
          objects.add(r.getVectorSchemaRoot().contentToTSVString());
        }
      }
      assertThat(String.join("", objects)).contains(SALES2, "\"column_name\":\"amount\"", "\"column_name\":\"tags\"").doesNotContain(SALES1);
    }
  }

  @Test
  void adbcErrorsCarryTheStatusAndMessage() throws Exception {
    try (SqlFixture f = new SqlFixture(); AdbcDatabase db = open(f); AdbcConnection conn = db.connect()) {
      assertThatThrownBy(() -> query(conn, "SELEC 1"))
          .isInstanceOfSatisfying(AdbcException.class, e -> {
            assertThat(e.getStatus()).isEqualTo(AdbcStatusCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("Parser Error: syntax error at or near \"SELEC\"");
          });
      assertThatThrownBy(() -> query(conn, "SELECT * FROM \"cache/nope\""))
          .isInstanceOfSatisfying(AdbcException.class, e -> {
            assertThat(e.getStatus()).isEqualTo(AdbcStatusCode.NOT_FOUND);
            assertThat(e.getMessage()).contains("there is no flight \"cache/nope\"");
          });
      assertThat(query(conn, "SELECT count(*) FROM \"" + SALES2 + "\"")).containsExactly("1500");
    }
  }

  @Test
  void adbcParallelQueriesAndEarlyClose() throws Exception {
    try (SqlFixture f = new SqlFixture(); AdbcDatabase db = open(f)) {
      f.put("big/a", TestData.narrow(4, 65_536, 3));
      List<List<String>> expected = new ArrayList<>();
      for (String q : QUERIES) {
        expected.add(f.reference.query(q));
      }
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
          int offset = t;
          done.add(pool.submit(() -> {
            try (AdbcConnection conn = db.connect()) {
              for (int i = 0; i < QUERIES.size(); i++) {
                int k = (i + offset) % QUERIES.size();
                assertThat(query(conn, QUERIES.get(k))).isEqualTo(expected.get(k));
              }
            }
            return null;
          }));
        }
        for (Future<?> d : done) {
          d.get();
        }
      } finally {
        pool.shutdownNow();
      }
      // a reader closed after its first batch: the server stops the (endless) cross join
      try (AdbcConnection conn = db.connect(); AdbcStatement s = conn.createStatement()) {
        s.setSqlQuery("SELECT x.v, y.v FROM \"big/a\" x, \"big/a\" y");
        try (AdbcStatement.QueryResult result = s.executeQuery(); ArrowReader reader = result.getReader()) {
          assertThat(reader.loadNextBatch()).isTrue();
        }
      }
      f.awaitNoQuery();
    }
  }

  @Test
  void theAdbcExampleRuns() throws Exception {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (SqlFixture f = new SqlFixture()) {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      AdbcTour.main(new String[] {"grpc://" + f.hostPort(), SALES1});
    } finally {
      System.setOut(stdout);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    assertThat(out).contains("objects:", SALES1, "\"column_name\":\"region\"", "region\ttotal\tn", "region-3\t");
  }
}
