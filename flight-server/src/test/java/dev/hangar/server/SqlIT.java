package dev.hangar.server;

import static dev.hangar.server.FlightRpcIT.assertFlightError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableExistsOption;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption;
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

  /** Puts the two sales flights into Hangar and DuckDB; returns DuckDB's answer to each of {@link #QUERIES}. */
  static List<List<String>> twoSalesFlights(Hangar h, SqlReference ref) throws Exception {
    h.put(SALES1, TestData.wide(4, 1000, 1));
    h.put(SALES2, TestData.wide(3, 500, 2));
    ref.table(SALES1, TestData.wide(4, 1000, 1)).table(SALES2, TestData.wide(3, 500, 2));
    List<List<String>> expected = new ArrayList<>();
    for (String q : QUERIES) {
      expected.add(ref.query(q.replace("CACHE/TENANT1/SALES", SALES1)));
    }
    return expected;
  }

  @Test
  void queriesOverFlightsMatchDuckDbOverTheSameData() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB");
        SqlReference ref = new SqlReference(h.allocator);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      List<List<String>> expected = twoSalesFlights(h, ref);
      for (int i = 0; i < QUERIES.size(); i++) {
        assertThat(query(sql, QUERIES.get(i))).as(QUERIES.get(i)).isNotEmpty().isEqualTo(expected.get(i));
      }
      FlightInfo info = sql.execute(QUERIES.get(1));
      assertThat(info.getSchema()).isEqualTo(ref.schema(QUERIES.get(1)));
      rows(sql, info);
      assertThat(sql.getExecuteSchema(QUERIES.get(0)).getSchema()).isEqualTo(ref.schema(QUERIES.get(0)));
    }
  }

  @Test
  void flightsAreReadFromEveryTierAndRestoredFromTheirDurableStore(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    String yaml = """
        storage:
          memory: {capacity: 5MiB}
          disk_mapped: {path: %1$s/mapped, capacity: 64MiB}
          disk: {path: %1$s/disk, capacity: 64MiB}
        durableStores: [{id: local, type: filesystem, path: %1$s/durable}]
        storageClasses:
          - {prefix: "mem/", tiers: [{storage: memory}]}
          - {prefix: "mapped/", tiers: [{storage: disk_mapped}]}
          - {prefix: "disk/", tiers: [{storage: disk}]}
          - {prefix: "durable/", durability: strong, durableStore: local, tiers: [{storage: memory}]}
        """.formatted(dir);
    TestData.Batches data = TestData.wide(4, 1000, 1);
    List<String> paths = List.of("durable/sales", "mem/sales", "mapped/sales", "disk/sales");
    try (Hangar h = Hangar.start(yaml);
        SqlReference ref = new SqlReference(h.allocator);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      ref.table("sales", data);
      for (String p : paths) {
        h.put(p, data);
      }
      h.put("mem/filler", TestData.narrow(9, 65_536, 1)); // 4.8 MB: evicts the least recently used, the durable flight
      assertThat(h.action("describe", "durable/sales").get("tier").asText()).isEqualTo("durable");
      assertThat(h.action("describe", "mapped/sales").get("tier").asText()).isEqualTo("disk_mapped");
      assertThat(h.action("describe", "disk/sales").get("tier").asText()).isEqualTo("disk");
      String groupBy = "SELECT region, sum(amount), count(*), min(price), max(\"at\") FROM %s GROUP BY 1";
      List<String> expected = ref.query(groupBy.formatted("sales"));
      for (String p : List.of("mem/sales", "mapped/sales", "disk/sales", "durable/sales")) {
        assertThat(query(sql, groupBy.formatted("\"" + p + "\""))).as(p).isEqualTo(expected);
      }
      assertThat(h.action("describe", "durable/sales").get("tier").asText()).as("restored by the query").isEqualTo("memory");
      String all = String.join(" UNION ALL ", paths.stream().map(p -> "SELECT id, region, tags FROM \"" + p + "\"").toList());
      assertThat(query(sql, "SELECT count(*), count(DISTINCT id), sum(len(tags)) FROM (" + all + ")"))
          .isEqualTo(ref.query("SELECT 4 * count(*), count(DISTINCT id), 4 * sum(len(tags)) FROM sales"));
    }
  }

  private static FlightSqlClient.ExecuteIngestOptions ingest(String table, TableNotExistOption ifAbsent, TableExistsOption ifExists) {
    return new FlightSqlClient.ExecuteIngestOptions(table,
        TableDefinitionOptions.newBuilder().setIfNotExist(ifAbsent).setIfExists(ifExists).build(), null, null, java.util.Map.of());
  }

  @Test
  void bulkIngestionIsAPutOfTheTablePath() throws Exception {
    String path = "cache/ingested";
    try (Hangar h = Hangar.withMemory("64MiB"); FlightSqlClient sql = new FlightSqlClient(h.client);
        VectorSchemaRoot root = VectorSchemaRoot.create(TestData.NARROW, h.allocator)) {
      TestData.narrow(1, 5, 3).fill(root, 0);
      List<String> values = SqlReference.sorted(SqlReference.rows(root));
      var create = ingest(path, TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE, TableExistsOption.TABLE_EXISTS_OPTION_FAIL);
      assertThat(sql.executeIngest(root, create)).isEqualTo(5);
      assertThat(query(sql, "SELECT v FROM \"" + path + "\"")).isEqualTo(values);
      assertFlightError(() -> sql.executeIngest(root, create), FlightStatusCode.ALREADY_EXISTS,
          "Cannot ingest table \"cache/ingested\": a flight exists at that path (ingest with mode \"replace\" to replace it)");
      root.setRowCount(2);
      assertThat(sql.executeIngest(root, ingest(path, TableNotExistOption.TABLE_NOT_EXIST_OPTION_FAIL,
          TableExistsOption.TABLE_EXISTS_OPTION_REPLACE))).isEqualTo(2);
      assertThat(h.client.getInfo(org.apache.arrow.flight.FlightDescriptor.path(path)).getRecords()).isEqualTo(2);
      // what the command leaves unsaid, and a path that is not one, are refused with nothing stored
      assertFlightError(() -> sql.executeIngest(root, new FlightSqlClient.ExecuteIngestOptions("cache/other",
              TableDefinitionOptions.getDefaultInstance(), null, null, java.util.Map.of())), FlightStatusCode.INVALID_ARGUMENT,
          "Cannot ingest table \"cache/other\": the command does not say what to do if the table exists and if it does not (its"
              + " table definition options are TABLE_EXISTS_OPTION_UNSPECIFIED and TABLE_NOT_EXIST_OPTION_UNSPECIFIED)");
      assertThatThrownBy(() -> sql.executeIngest(root, ingest("cache//x", TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE,
          TableExistsOption.TABLE_EXISTS_OPTION_REPLACE)))
          .isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
            assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains("cache//x").doesNotContain("Exception");
          });
      assertThat(h.server.store().list("")).extracting(dev.hangar.storage.FlightSummary::path).containsExactly(path);
    }
  }

  @Test
  void pathsWithUnicodeQuotesAndSpacesAreTableNames() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB"); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put("cache/ré gion/ventes", TestData.narrow(1, 3, 2));
      h.put("cache/we\"ird", TestData.narrow(1, 2, 2));
      // DuckDB reports where a table is as a byte offset: text before it that is not ASCII must not shift the rewrite
      assertThat(query(sql, "SELECT 'éèà😀' AS x, sum(v) FROM \"cache/ré gion/ventes\"")).containsExactly("éèà😀\t6");
      assertThat(query(sql, "SELECT '😀', count(*) FROM \"cache/ré gion/ventes\" a JOIN \"cache/we\"\"ird\" USING (v)"))
          .containsExactly("😀\t6");
      assertThat(query(sql, "SELECT \"cache/ré gion/ventes\".v FROM \"cache/ré gion/ventes\" WHERE v > 1")).containsExactly("2", "2", "2");
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
      try (FlightSqlClient.PreparedStatement ps = sql.prepare(q);
          VectorSchemaRoot one = VectorSchemaRoot.create(new Schema(List.of(Field.nullable("a", new ArrowType.Int(64, true)))), h.allocator);
          VectorSchemaRoot two = VectorSchemaRoot.create(ps.getParameterSchema(), h.allocator)) {
        ((BigIntVector) one.getVector(0)).setSafe(0, 1L);
        one.setRowCount(1);
        ps.setParameters(one);
        assertFlightError(ps::execute, FlightStatusCode.INVALID_ARGUMENT, "Cannot bind 1 parameter(s): the statement has 2");
        for (int r = 0; r < 2; r++) {
          ((BigIntVector) two.getVector(0)).setSafe(r, 1L);
          ((VarCharVector) two.getVector(1)).setSafe(r, "x".getBytes());
        }
        two.setRowCount(2);
        ps.setParameters(two);
        assertFlightError(ps::execute, FlightStatusCode.INVALID_ARGUMENT,
            "Cannot bind 2 rows of parameters to a query: bind one row per execution");
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
          "Hangar's SQL is read-only: flights are written with DoPut or Flight SQL bulk ingestion (adbc_ingest), and a query's"
              + " result is stored as a flight with the query-to-flight action");
      assertFlightError(() -> sql.prepare("SELECT * FROM \"cache/nope\""), FlightStatusCode.NOT_FOUND,
          "Cannot run the query: there is no flight \"cache/nope\" (a table in Hangar's SQL is a flight path in double quotes,"
              + " e.g. SELECT * FROM \"cache/tenant1/sales\"; ListFlights shows what there is)");
      // errors DuckDB meets while it runs (here a cast of the last rows), whether at the first batch
      // (GetFlightInfo) or while the result streams: INVALID_ARGUMENT with DuckDB's message
      h.put("cache/wide", TestData.wide(100, 1000, 1)); // ids 1,000,000 .. 1,099,999
      for (String q : List.of(
          "SELECT CAST(CASE WHEN id > 1000090 THEN 'x' ELSE '1' END AS INTEGER) FROM \"" + SALES1 + "\"",
          "SELECT id, CAST(CASE WHEN id > 1099990 THEN 'x' ELSE '1' END AS INTEGER) FROM \"cache/wide\"")) {
        assertThatThrownBy(() -> query(sql, q))
            .as(q)
            .isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
              assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
              assertThat(e.getMessage()).contains("Conversion Error: Could not convert string 'x' to INT32");
            });
      }
      assertFlightError(() -> sql.beginTransaction(), FlightStatusCode.UNIMPLEMENTED,
          "Hangar's SQL is read-only and has no transactions or savepoints: run queries in autocommit mode"
              + " (SqlInfo FLIGHT_SQL_SERVER_TRANSACTION says NONE)");
      assertThat(query(sql, "SELECT count(*) FROM \"" + SALES1 + "\"")).containsExactly("100");
      h.awaitIdle();
      assertThat(h.server.sqlPending()).isZero();
    }
  }

  @Test
  void catalogShowsFlightsAsTables() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB"); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put(SALES1, TestData.wide(1, 10, 1));
      h.put(SALES2, TestData.narrow(1, 10, 2));
      assertThat(metadata(sql, sql.getCatalogs())).containsExactly("memory");
      assertThat(metadata(sql, sql.getSchemas(null, null))).containsExactly("memory\tmain");
      assertThat(metadata(sql, sql.getTableTypes())).containsExactly("TABLE");
      assertThat(metadata(sql, sql.getTables(null, null, null, null, false)))
          .containsExactly("memory\tmain\t" + SALES1 + "\tTABLE", "memory\tmain\t" + SALES2 + "\tTABLE");
      assertThat(metadata(sql, sql.getTables("memory", "ma%", "cache/tenant2/%", List.of("TABLE"), false)))
          .containsExactly("memory\tmain\t" + SALES2 + "\tTABLE");
      assertThat(metadata(sql, sql.getTables("other", null, null, null, false))).isEmpty();
      try (FlightStream s = sql.getStream(sql.getTables(null, null, SALES1, null, true).getEndpoints().get(0).getTicket())) {
        assertThat(s.next()).isTrue();
        byte[] schema = ((org.apache.arrow.vector.VarBinaryVector) s.getRoot().getVector("table_schema")).get(0);
        assertThat(org.apache.arrow.vector.ipc.message.MessageSerializer.deserializeSchema(
            new org.apache.arrow.vector.ipc.ReadChannel(java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(schema)))))
            .isEqualTo(TestData.WIDE);
      }
      try (FlightStream s = sql.getStream(sql.getSqlInfo(org.apache.arrow.flight.sql.impl.FlightSql.SqlInfo.FLIGHT_SQL_SERVER_NAME,
          org.apache.arrow.flight.sql.impl.FlightSql.SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY).getEndpoints().get(0).getTicket())) {
        assertThat(s.next()).isTrue();
        assertThat(s.getRoot().getRowCount()).isEqualTo(2);
        assertThat(s.getRoot().contentToTSVString()).contains("Hangar");
      }
      assertThat(metadata(sql, sql.getPrimaryKeys(org.apache.arrow.flight.sql.util.TableRef.of(null, null, SALES1)))).isEmpty();
    }
  }

  private static List<String> metadata(FlightSqlClient sql, FlightInfo info) throws Exception {
    List<String> out = new ArrayList<>();
    try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket())) {
      while (stream.next()) {
        out.addAll(SqlReference.rows(stream.getRoot()));
      }
    }
    return out;
  }

  @Test
  void aQueryKeepsItsFlightsWhenTheyAreDeletedOverwrittenOrEvicted() throws Exception {
    try (Hangar h = Hangar.withMemory("160MiB"); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      TestData.Batches big = TestData.narrow(60, 65_536, 7); // 31 MB: DuckDB reads only a few batches ahead
      h.put("big/a", big);
      h.put("big/b", big);
      String q = "SELECT v FROM \"big/a\" UNION ALL SELECT v FROM \"big/b\"";
      // the query starts (GetFlightInfo runs it) and a second one is read halfway, then both flights go
      FlightInfo pending = sql.execute(q);
      FlightInfo info = sql.execute(q);
      long rows = 0;
      long sum = 0;
      try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket())) {
        for (int i = 0; i < 30 && stream.next(); i++) {
          rows += stream.getRoot().getRowCount();
          sum += sumOf(stream.getRoot());
        }
        h.action("delete", "big/a");
        for (int i = 0; i < 4; i++) {
          h.put("fill/" + i, TestData.narrow(60, 65_536, 1)); // more than the memory holds: something is evicted
        }
        h.put("big/b", TestData.narrow(2, 100, 9)); // overwritten
        while (stream.next()) {
          rows += stream.getRoot().getRowCount();
          sum += sumOf(stream.getRoot());
        }
      }
      assertThat(rows).isEqualTo(2L * 60 * 65_536);
      assertThat(sum).isEqualTo(2L * 60 * 65_536 * 7);
      long pendingRows = 0;
      long pendingSum = 0;
      try (FlightStream stream = sql.getStream(pending.getEndpoints().get(0).getTicket())) {
        while (stream.next()) {
          pendingRows += stream.getRoot().getRowCount();
          pendingSum += sumOf(stream.getRoot());
        }
      }
      assertThat(pendingRows).isEqualTo(rows);
      assertThat(pendingSum).isEqualTo(sum);
      assertThat(h.list("big/")).containsExactly("big/b");
      assertThat(h.server.store().stats().storageClasses().get(0).evictions()).as("the fill evicted flights").isPositive();
      assertThat(query(sql, "SELECT count(*), sum(v) FROM \"big/b\"")).containsExactly("200\t1800");
    }
  }

  private static long sumOf(VectorSchemaRoot root) {
    BigIntVector v = (BigIntVector) root.getVector(0);
    long s = 0;
    for (int i = 0; i < root.getRowCount(); i++) {
      s += v.get(i);
    }
    return s;
  }

  @Test
  void aClientThatStopsReadingCancelsTheQuery() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB"); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put("big/a", TestData.narrow(4, 65_536, 1));
      // a cross join of 262,144 x 262,144 rows: hours of output if nobody stopped it
      FlightInfo info = sql.execute("SELECT x.v, y.v FROM \"big/a\" x, \"big/a\" y");
      try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket())) {
        assertThat(stream.next()).isTrue();
        stream.cancel("enough", null);
      }
      awaitNoQuery(h);
      // and a result cancelled before it is fetched
      FlightInfo pending = sql.execute("SELECT count(*) FROM \"big/a\"");
      assertThat(h.server.sqlQueriesRunning()).isEqualTo(1);
      assertThat(sql.cancelFlightInfo(new org.apache.arrow.flight.CancelFlightInfoRequest(pending)).getStatus())
          .isEqualTo(org.apache.arrow.flight.CancelStatus.CANCELLED);
      assertThat(h.server.sqlQueriesRunning()).isZero();
      assertFlightError(() -> rows(sql, pending), FlightStatusCode.NOT_FOUND,
          "Cannot fetch the result: it was already fetched, cancelled, or left unfetched longer than sql.idleTimeout (5m); run the query again");
      assertThat(h.action("stats", "").get("sql").get("cancelled").asLong()).as("the mid-stream cancel and CancelFlightInfo").isEqualTo(2);
    }
  }

  static void awaitNoQuery(Hangar h) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (h.server.sqlQueriesRunning() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(h.server.sqlQueriesRunning()).as("queries still running").isZero();
  }

  private static final String LIMITED = """
      storage: {memory: {capacity: 64MiB}}
      storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
      sql: {maxConcurrentQueries: 1, maxQueuedQueries: %d, queueTimeout: 300ms, queryTimeout: %s, idleTimeout: %s}
      """;

  @Test
  void slowQueriesTimeOut() throws Exception {
    try (Hangar h = Hangar.start(LIMITED.formatted(1, "1s", "1m")); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      long t0 = System.nanoTime();
      assertFlightError(() -> query(sql, "SELECT count(*) FROM range(1000000000000) t(x) WHERE x % 7 = 3"),
          FlightStatusCode.TIMED_OUT, "Query timed out: it ran longer than 1s (sql.queryTimeout)");
      assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until the timeout answered").isLessThan(20_000);
      awaitNoQuery(h);
      assertThat(query(sql, "SELECT 1")).containsExactly("1");
      var stats = h.action("stats", "").get("sql");
      assertThat(stats.get("timedOut").asLong()).isEqualTo(1);
      assertThat(stats.get("running").asLong()).isZero();
    }
  }

  @Test
  void aQueryStopsWhenItsClientsDeadlinePasses() throws Exception {
    try (Hangar h = Hangar.start(LIMITED.formatted(1, "5m", "1m")); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      assertThatThrownBy(() -> sql.execute("SELECT count(*) FROM range(1000000000000) t(x) WHERE x % 7 = 3",
          org.apache.arrow.flight.CallOptions.timeout(1, java.util.concurrent.TimeUnit.SECONDS)))
          .isInstanceOfSatisfying(FlightRuntimeException.class, e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.TIMED_OUT));
      long ms = awaitSlotFree(h);
      System.out.println("SqlIT: the query stopped " + ms + " ms after the client's deadline answered it");
      assertThat(h.action("stats", "").get("sql").get("cancelled").asLong()).isEqualTo(1);
      assertThat(query(sql, "SELECT 1")).containsExactly("1"); // the only slot is free again
    }
  }

  @Test
  void aQueryStopsWhenItsClientGoesAway() throws Exception {
    try (Hangar h = Hangar.start(LIMITED.formatted(1, "5m", "1m")); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      assertThat(PyTest.script(PyTest.ROOT.resolve("client-examples/python/sql/leave_mid_query.py"), "grpc://127.0.0.1:" + h.server.port()))
          .contains("leaving with the query running");
      long ms = awaitSlotFree(h);
      System.out.println("SqlIT: the query stopped " + ms + " ms after its client's process exited");
      assertThat(h.action("stats", "").get("sql").get("cancelled").asLong()).isEqualTo(1);
      assertThat(query(sql, "SELECT 1")).containsExactly("1");
    }
  }

  /** Runs {@code query} on another thread: its rows, once it has run. */
  private static java.util.concurrent.CompletableFuture<List<String>> queryLater(FlightSqlClient sql, String query) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return query(sql, query);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  /** Waits until no query holds a slot; returns how long that took (ms). */
  private static long awaitSlotFree(Hangar h) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + 30_000_000_000L; // far beyond the 1 s the cancel takes: a stuck query fails, a slow machine does not
    while (h.server.sqlQueriesRunning() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(h.server.sqlQueriesRunning()).as("the abandoned query still holds its slot").isZero();
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void excessQueriesWaitThenAreRefused() throws Exception {
    try (Hangar h = Hangar.start(LIMITED.formatted(0, "1m", "1m")); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      FlightInfo held = sql.execute("SELECT 1 AS one"); // holds the only slot until fetched
      assertFlightError(() -> sql.execute("SELECT 2"), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot run the query now: 1 queries are running and 0 are waiting, the most this node allows"
              + " (sql.maxConcurrentQueries, sql.maxQueuedQueries); retry later");
      assertThat(rows(sql, held)).containsExactly("1");
      assertThat(query(sql, "SELECT 2")).containsExactly("2");
      assertThat(h.action("stats", "").get("sql").get("rejected").asLong()).isEqualTo(1);
    }
    try (Hangar h = Hangar.start(LIMITED.formatted(1, "1m", "1m")); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      FlightInfo held = sql.execute("SELECT 1 AS one");
      assertFlightError(() -> sql.execute("SELECT 2"), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot run the query now: it waited 300ms for one of the 1 query slots (sql.queueTimeout, sql.maxConcurrentQueries); retry later");
      // a waiting query runs as soon as the slot frees
      java.util.concurrent.CompletableFuture<List<String>> waiting = queryLater(sql, "SELECT 3");
      Thread.sleep(100);
      assertThat(rows(sql, held)).containsExactly("1");
      assertThat(waiting.get()).containsExactly("3");
    }
  }

  @Test
  void unfetchedResultsAndUnusedPreparedStatementsExpire() throws Exception {
    Hangar.ManualClock clock = new Hangar.ManualClock();
    try (Hangar h = Hangar.start(LIMITED.formatted(1, "1m", "10m"), clock); FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put(SALES1, TestData.wide(1, 10, 1));
      FlightSqlClient.PreparedStatement ps = sql.prepare("SELECT 1");
      FlightInfo forgotten = sql.execute("SELECT count(*) FROM \"" + SALES1 + "\"");
      assertThat(h.server.sqlPending()).isEqualTo(2);
      clock.advance(Duration.ofMinutes(9));
      Thread.sleep(300); // three sweeps: nothing is idle for 10m yet
      assertThat(h.server.sqlPending()).isEqualTo(2);
      clock.advance(Duration.ofMinutes(2)); // 11 minutes: both are past sql.idleTimeout
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (h.server.sqlPending() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(20); // the sweeper runs the caches' expiry every 100 ms
      }
      assertThat(h.server.sqlPending()).isZero();
      assertThat(h.server.sqlQueriesRunning()).as("the expired result gave its slot back").isZero();
      h.action("delete", SALES1); // and its lease: the flight goes at once
      assertThat(h.memoryUsed()).isZero();
      assertFlightError(() -> rows(sql, forgotten), FlightStatusCode.NOT_FOUND,
          "Cannot fetch the result: it was already fetched, cancelled, or left unfetched longer than sql.idleTimeout (10m); run the query again");
      assertFlightError(ps::execute, FlightStatusCode.NOT_FOUND,
          "Unknown prepared statement: it was closed, or unused longer than sql.idleTimeout (10m); prepare it again");
    }
  }

  @Test
  void anUnfetchedResultGivesItsSlotToWaitingQueriesAfterTheGrace() throws Exception {
    Hangar.ManualClock clock = new Hangar.ManualClock();
    try (Hangar h = Hangar.start("""
            storage: {memory: {capacity: 64MiB}}
            storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
            sql: {maxConcurrentQueries: 1, maxQueuedQueries: 4, queueTimeout: 3s, idleTimeout: 10m, resultGrace: 10s}
            """, clock);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put(SALES1, TestData.wide(1, 10, 1));
      FlightInfo abandoned = sql.execute("SELECT count(*) FROM \"" + SALES1 + "\""); // the only slot, and a lease
      clock.advance(Duration.ofSeconds(9));
      assertFlightError(() -> sql.execute("SELECT 2"), FlightStatusCode.RESOURCE_EXHAUSTED, // within the grace it keeps its slot
          "Cannot run the query now: it waited 3s for one of the 1 query slots (sql.queueTimeout, sql.maxConcurrentQueries); retry later");
      clock.advance(Duration.ofSeconds(2)); // 11 s: past the grace, and a query that finds no slot takes it at once
      long t0 = System.nanoTime();
      assertThat(query(sql, "SELECT 3")).containsExactly("3");
      assertThat((System.nanoTime() - t0) / 1_000_000).as("ms the query waited").isLessThan(2_500);
      String dropped = "Cannot fetch the result: it was left unfetched longer than sql.resultGrace (10s) while other queries"
          + " waited for its query slot, so it was dropped for them; run the query again and fetch its result at once";
      assertFlightError(() -> rows(sql, abandoned), FlightStatusCode.NOT_FOUND, dropped);
      var stats = h.action("stats", "").get("sql");
      assertThat(stats.get("yielded").asLong()).isEqualTo(1);
      assertThat(stats.get("pendingResults").asLong()).isZero();
      assertThat(stats.get("running").asLong()).isZero();
      h.action("delete", SALES1); // the dropped result's lease went with it
      assertThat(h.memoryUsed()).isZero();

      // a query already waiting takes the slot once the result holding it passes the grace
      FlightInfo held = sql.execute("SELECT 4");
      java.util.concurrent.CompletableFuture<List<String>> waiting = queryLater(sql, "SELECT 5");
      Thread.sleep(300);
      assertThat(waiting).as("waits while the result is within its grace").isNotDone();
      clock.advance(Duration.ofSeconds(11));
      assertThat(waiting.get(10, java.util.concurrent.TimeUnit.SECONDS)).containsExactly("5");
      assertFlightError(() -> rows(sql, held), FlightStatusCode.NOT_FOUND, dropped);

      // with nobody waiting for its slot, a result stays fetchable past the grace, up to sql.idleTimeout
      FlightInfo later = sql.execute("SELECT 6");
      clock.advance(Duration.ofMinutes(1));
      Thread.sleep(300); // three sweeps of the idle caches
      assertThat(rows(sql, later)).containsExactly("6");
      assertThat(h.action("stats", "").get("sql").get("yielded").asLong()).isEqualTo(2);
    }
  }

  @Test
  void queryResultsStoredAsFlights() throws Exception {
    try (Hangar h = Hangar.start("""
            storage: {memory: {capacity: 64MiB}}
            storageClasses:
              - {prefix: "", tiers: [{storage: memory}]}
              - {prefix: "small/", tiers: [{storage: memory}]}
            limitPolicies: [{type: standard, storageClasses: [small/], total: 1KiB}]
            """);
        SqlReference ref = new SqlReference(h.allocator);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      h.put(SALES1, TestData.wide(4, 1000, 1));
      ref.table(SALES1, TestData.wide(4, 1000, 1));
      String q = "SELECT region, sum(amount) AS total FROM \"" + SALES1 + "\" GROUP BY region";
      var stored = h.action("query-to-flight", Hangar.JSON.writeValueAsString(java.util.Map.of("sql", q, "path", "reports/by-region")));
      assertThat(stored.get("path").asText()).isEqualTo("reports/by-region");
      assertThat(stored.get("rows").asLong()).isEqualTo(14);
      assertThat(query(sql, "SELECT * FROM \"reports/by-region\"")).isEqualTo(ref.query(q));
      assertThat(String.join("", h.get("reports/by-region"))).contains("region-3");
      // bad input: nothing stored, no quota used
      assertFlightError(() -> h.action("query-to-flight", "{\"sql\": 1}"), FlightStatusCode.INVALID_ARGUMENT,
          "Invalid query-to-flight body: send JSON {\"sql\": \"SELECT ...\", \"path\": \"cache/t1/report\"}");
      assertFlightError(() -> h.action("query-to-flight", "{\"sql\": \"SELEC\", \"path\": \"reports/x\"}"),
          FlightStatusCode.INVALID_ARGUMENT, "Parser Error: syntax error at or near \"SELEC\"");
      assertThatThrownBy(() -> h.action("query-to-flight",
              Hangar.JSON.writeValueAsString(java.util.Map.of("sql", "SELECT * FROM \"" + SALES1 + "\"", "path", "small/copy"))))
          .satisfies(e -> assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED));
      assertThat(h.list("")).containsExactly(SALES1, "reports/by-region");
    }
  }

  @Test
  void parallelQueriesAgree() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB");
        SqlReference ref = new SqlReference(h.allocator);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      List<List<String>> expected = twoSalesFlights(h, ref);
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          int offset = t;
          done.add(pool.submit(() -> {
            for (int i = 0; i < QUERIES.size(); i++) {
              int k = (i + offset) % QUERIES.size();
              assertThat(query(sql, QUERIES.get(k))).isEqualTo(expected.get(k));
            }
            return null;
          }));
        }
        for (var f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void sqlCanBeTurnedOff() throws Exception {
    try (Hangar h = Hangar.start("""
            storage: {memory: {capacity: 64MiB}}
            storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
            sql: {enabled: false}
            """);
        FlightSqlClient sql = new FlightSqlClient(h.client)) {
      assertFlightError(() -> sql.execute("SELECT 1"), FlightStatusCode.INVALID_ARGUMENT,
          "GetFlightInfo needs a path descriptor naming a flight: SQL commands are disabled on this node (sql.enabled: false)");
      assertFlightError(() -> sql.prepare("SELECT 1"), FlightStatusCode.INVALID_ARGUMENT,
          "Cannot serve DoAction CreatePreparedStatement: SQL is disabled on this node (sql.enabled: false)");
    }
  }
}
