package dev.hangar.bench;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.adbc.core.AdbcConnection;
import org.apache.arrow.adbc.core.AdbcDatabase;
import org.apache.arrow.adbc.core.AdbcDriver;
import org.apache.arrow.adbc.core.AdbcStatement;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlDriver;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import java.util.Iterator;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;

/**
 * A GROUP BY over one large flight, end to end, four ways in one run:
 *
 * <ul>
 *   <li>{@code duckdb-arrow} (the floor): DuckDB in this JVM over the same Arrow batches in memory,
 *       registered as a stream, result exported as Arrow;
 *   <li>{@code duckdb-parquet}: DuckDB in this JVM over the same data in a Parquet file on local
 *       disk (warm page cache);
 *   <li>{@code hangar-adbc}: the Java ADBC Flight SQL driver against a Hangar node in this JVM;
 *   <li>{@code hangar-jdbc}: the Flight SQL JDBC driver, in a JVM of its own, against that node.
 * </ul>
 *
 * DuckDB gets the same threads and memory limit everywhere. Each round runs every variant once, in
 * turn; reported are the median milliseconds and the ratio to the floor.
 *
 * <p>Usage: {@code bench/run-sql.sh [--rows 10000000] [--runs 7] [--warmup 2]}
 */
public final class SqlBench {
  private static final Schema SCHEMA = new Schema(List.of(
      Field.nullable("k", new ArrowType.Int(64, true)),
      Field.nullable("region", ArrowType.Utf8.INSTANCE),
      Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
  private static final String PATH = "cache/bench/sales";
  private static final String QUERY =
      "SELECT region, k %% 100 AS bucket, sum(amount) AS total, count(*) AS n FROM %s GROUP BY 1, 2";
  private static final int BATCH_ROWS = 65_536;

  public static void main(String[] args) throws Exception {
    long rows = Long.parseLong(FlightThroughputBench.option(args, "--rows", "10000000"));
    int runs = Integer.parseInt(FlightThroughputBench.option(args, "--runs", "7"));
    int warmup = Integer.parseInt(FlightThroughputBench.option(args, "--warmup", "2"));
    int threads = Runtime.getRuntime().availableProcessors();
    Path dir = Files.createTempDirectory("hangar-sql-bench");
    Path parquet = dir.resolve("sales.parquet");

    try (BufferAllocator allocator = new RootAllocator();
        HangarServer server = HangarServer.start(HangarConfig.parse("""
            storage: {memory: {capacity: 3GiB}}
            storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
            sql: {threads: %d, memoryLimit: 2GiB}
            """.formatted(threads), "sql bench", Map.of()).withPort(0))) {
      List<ArrowRecordBatch> batches = generate(allocator, rows);
      long body = batches.stream().mapToLong(ArrowRecordBatch::computeBodyLength).sum();
      put(server, allocator, batches);
      DuckDBConnection duck = (DuckDBConnection) new org.duckdb.DuckDBDriver().connect("jdbc:duckdb:", new java.util.Properties());
      try (Statement s = duck.createStatement()) {
        s.execute("SET threads = " + threads);
        s.execute("SET memory_limit = '2GiB'");
      }
      try (ArrowArrayStream incoming = register(duck, allocator, batches, "incoming"); Statement s = duck.createStatement()) {
        s.execute("COPY (SELECT * FROM incoming) TO '" + parquet + "' (FORMAT parquet)");
        s.execute("DROP VIEW incoming");
      }
      System.out.printf(Locale.ROOT, "sql bench: %,d rows in %d batches (%.0f MB of Arrow body; Parquet file %.0f MB), %d DuckDB threads, %d rounds after %d warm-up%n",
          rows, batches.size(), body / 1e6, Files.size(parquet) / 1e6, threads, runs, warmup);
      System.out.println("query: " + QUERY.formatted("<table>"));

      Process jdbc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Djava.util.logging.config.file=/dev/null",
          "-cp", System.getProperty("hangar.bench.jdbc", "bench/target/jdbc/flight-sql-jdbc-driver.jar"),
          System.getProperty("hangar.bench.jdbcMain", "bench/jdbc/JdbcBench.java"),
          "127.0.0.1:" + server.port())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Writer toJdbc = new OutputStreamWriter(jdbc.getOutputStream(), StandardCharsets.UTF_8);
      BufferedReader fromJdbc = new BufferedReader(new InputStreamReader(jdbc.getInputStream(), StandardCharsets.UTF_8));

      Map<String, List<Double>> millis = new LinkedHashMap<>();
      Map<String, String> checks = new LinkedHashMap<>();
      try (AdbcDatabase db = new FlightSqlDriver(allocator).open(Map.of(AdbcDriver.PARAM_URI.getKey(), "grpc://127.0.0.1:" + server.port()));
          AdbcConnection adbc = db.connect()) {
        for (int round = -warmup; round < runs; round++) {
          boolean keep = round >= 0;
          // duckdb-arrow: the same batches, a fresh stream per query (a stream is read once)
          long t0 = System.nanoTime();
          try (DuckDBConnection c = duck.duplicate(); ArrowArrayStream stream = register(c, allocator, batches, "sales")) {
            record(millis, checks, keep, "duckdb-arrow", t0, consume(c, QUERY.formatted("sales"), allocator));
          }
          t0 = System.nanoTime();
          record(millis, checks, keep, "duckdb-parquet", t0, consume(duck, QUERY.formatted("read_parquet('" + parquet + "')"), allocator));
          t0 = System.nanoTime();
          try (AdbcStatement st = adbc.createStatement()) {
            st.setSqlQuery(QUERY.formatted("\"" + PATH + "\""));
            try (AdbcStatement.QueryResult r = st.executeQuery(); ArrowReader reader = r.getReader()) {
              record(millis, checks, keep, "hangar-adbc", t0, consume(reader));
            }
          }
          jdbc(toJdbc, fromJdbc, QUERY.formatted("\"" + PATH + "\""), "hangar-jdbc", keep, millis, checks);
          // the fixed cost of a query: one that reads no flight and returns one row
          t0 = System.nanoTime();
          try (AdbcStatement st = adbc.createStatement()) {
            st.setSqlQuery(TRIVIAL);
            try (AdbcStatement.QueryResult r = st.executeQuery(); ArrowReader reader = r.getReader()) {
              record(millis, checks, keep, "hangar-adbc SELECT 1", t0, consume(reader));
            }
          }
          jdbc(toJdbc, fromJdbc, TRIVIAL, "hangar-jdbc SELECT 1", keep, millis, checks);
        }
      } finally {
        toJdbc.close();
        jdbc.waitFor(30, TimeUnit.SECONDS);
        duck.close();
        batches.forEach(ArrowRecordBatch::close);
        Files.deleteIfExists(parquet);
        Files.deleteIfExists(dir);
      }
      double floor = median(millis.get("duckdb-arrow"));
      System.out.println();
      System.out.println("| variant | median ms | min ms | max ms | ratio to duckdb-arrow | result |");
      System.out.println("|---|---|---|---|---|---|");
      millis.forEach((name, ms) -> System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %.2f× | %s |%n", name,
          median(ms), ms.stream().mapToDouble(d -> d).min().orElse(0), ms.stream().mapToDouble(d -> d).max().orElse(0),
          median(ms) / floor, checks.get(name)));
    }
  }

  private static final String TRIVIAL = "SELECT 'x' AS region, 1 AS bucket, 1.0::DOUBLE AS total";

  private static void jdbc(Writer to, BufferedReader from, String sql, String name, boolean keep, Map<String, List<Double>> millis,
      Map<String, String> checks) throws java.io.IOException {
    to.write(sql + "\n");
    to.flush();
    String[] answer = from.readLine().split(" ");
    if (keep) {
      millis.computeIfAbsent(name, k -> new ArrayList<>()).add(Long.parseLong(answer[0]) / 1e6);
    }
    checks.put(name, answer[1] + " rows, total " + String.format(Locale.ROOT, "%.2f", Double.parseDouble(answer[2])));
  }

  private static double median(List<Double> values) {
    return FlightThroughputBench.median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private static void record(Map<String, List<Double>> millis, Map<String, String> checks, boolean keep, String name, long t0, String check) {
    double ms = (System.nanoTime() - t0) / 1e6;
    if (keep) {
      millis.computeIfAbsent(name, k -> new ArrayList<>()).add(ms);
    }
    checks.put(name, check);
  }

  private static String consume(DuckDBConnection c, String sql, BufferAllocator allocator) throws Exception {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql);
        ArrowReader reader = (ArrowReader) ((DuckDBResultSet) rs).arrowExportStream(allocator, BATCH_ROWS)) {
      return consume(reader);
    }
  }

  /** Reads the whole result; returns "rows, total" so that every variant can be seen to agree. */
  private static String consume(ArrowReader reader) throws Exception {
    long rows = 0;
    double total = 0;
    while (reader.loadNextBatch()) {
      VectorSchemaRoot root = reader.getVectorSchemaRoot();
      Float8Vector t = (Float8Vector) root.getVector("total");
      for (int i = 0; i < root.getRowCount(); i++) {
        total += t.get(i);
      }
      rows += root.getRowCount();
    }
    return rows + " rows, total " + String.format(Locale.ROOT, "%.2f", total);
  }

  /** Registers the batches as table {@code name}; the caller closes the returned struct after the query. */
  private static ArrowArrayStream register(DuckDBConnection c, BufferAllocator allocator, List<ArrowRecordBatch> batches, String name) {
    ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator);
    Data.exportArrayStream(allocator, new HeldReader(allocator, batches), stream);
    c.registerArrowStream(name, stream);
    return stream;
  }

  /** Reads batches the benchmark holds (the DuckDB baseline: registered in-process, no Flight). */
  private static final class HeldReader extends ArrowReader {
    private final Iterator<ArrowRecordBatch> batches;

    HeldReader(BufferAllocator allocator, List<ArrowRecordBatch> batches) {
      super(allocator);
      this.batches = batches.iterator();
    }

    @Override
    public boolean loadNextBatch() throws java.io.IOException {
      if (!batches.hasNext()) {
        return false;
      }
      new VectorLoader(getVectorSchemaRoot()).load(batches.next());
      return true;
    }

    @Override
    public long bytesRead() {
      return 0;
    }

    @Override
    protected void closeReadSource() {}

    @Override
    protected Schema readSchema() {
      return SCHEMA;
    }
  }

  private static List<ArrowRecordBatch> generate(BufferAllocator allocator, long rows) {
    List<ArrowRecordBatch> out = new ArrayList<>();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      BigIntVector k = (BigIntVector) root.getVector(0);
      VarCharVector region = (VarCharVector) root.getVector(1);
      Float8Vector amount = (Float8Vector) root.getVector(2);
      byte[][] regions = new byte[13][];
      for (int i = 0; i < regions.length; i++) {
        regions[i] = ("region-" + i).getBytes(StandardCharsets.UTF_8);
      }
      for (long start = 0; start < rows; start += BATCH_ROWS) {
        int n = (int) Math.min(BATCH_ROWS, rows - start);
        k.allocateNew(n);
        region.allocateNew(10L * n, n);
        amount.allocateNew(n);
        for (int i = 0; i < n; i++) {
          long v = start + i;
          k.set(i, (v * 7919) % 1000);
          region.setSafe(i, regions[(int) (v % 13)]);
          amount.set(i, (v % 10_007) * 0.01);
        }
        root.setRowCount(n);
        out.add(new VectorUnloader(root).getRecordBatch());
      }
    }
    return out;
  }

  private static void put(HangarServer server, BufferAllocator allocator, List<ArrowRecordBatch> batches) throws Exception {
    try (FlightClient client = FlightClient.builder(allocator, server.location()).build();
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      SyncPutListener results = new SyncPutListener();
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path(PATH), root, results);
      org.apache.arrow.vector.VectorLoader loader = new org.apache.arrow.vector.VectorLoader(root);
      for (ArrowRecordBatch b : batches) {
        loader.load(b);
        put.putNext();
      }
      put.completed();
      put.getResult();
      try (PutResult r = results.read()) {
        // the flight is stored
      }
    }
  }

  private SqlBench() {}
}
