package dev.hangar.server.sql;

import dev.hangar.config.Durations;
import dev.hangar.config.SqlConfig;
import dev.hangar.storage.FlightLease;
import dev.hangar.storage.FlightNotFoundException;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.FlightSummary;
import dev.hangar.storage.Upload;
import dev.hangar.tiers.ipc.FlightSchema;
import java.sql.ParameterMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBPreparedStatement;
import org.duckdb.DuckDBResultSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DuckDB, in process, over the flights of one {@link FlightStore} (DESIGN §8).
 *
 * <p>One in-memory database, locked down before any query runs: no file or network access, no
 * extensions, configuration locked. Each query gets its own duplicate of the connection (DuckDB
 * serialises a connection's calls, and registered streams are that connection's temporary views),
 * a lease on each flight it names and one Arrow stream per reference to a flight; Arrow goes in
 * and comes out through the C data interface, never row by row.
 */
public final class SqlEngine implements AutoCloseable {
  /** The catalog and schema every flight is a table of, as Flight SQL clients see them (DuckDB's defaults). */
  public static final String CATALOG = "memory";
  public static final String SCHEMA = "main";

  static final String TIMED_OUT = "Query timed out";
  /** Rows per result batch: DuckDB's 2,048-row chunks gathered into batches worth a Flight message. */
  static final int RESULT_BATCH_ROWS = 65_536;
  private static final int PARSE_CACHE_ENTRIES = 1024;

  private static final Logger LOG = LoggerFactory.getLogger(SqlEngine.class);

  private final SqlConfig config;
  private final FlightStore store;
  private final BufferAllocator allocator;
  private volatile DuckDBConnection database; // replaced if DuckDB invalidates it: see reopenIfInvalidated
  /**
   * A second database that does not stream results, used only to learn why a query failed: when a
   * streamed query fails in its first chunk, DuckDB's JDBC driver 2.0 reports only "Invalid Input
   * Error: Invalid result set" and loses the error; run again here, the query reports it.
   */
  private volatile DuckDBConnection diagnostics;
  private final Admission admission;
  /** Which flights hold values SQL cannot carry, remembered per stored copy. */
  private final ValueRange valueRange = new ValueRange();
  private final ScheduledExecutorService timer;
  private final Set<RunningQuery> running = ConcurrentHashMap.newKeySet();
  private final AtomicLong queries = new AtomicLong();
  // in a cluster: a flight this node does not hold, streamed from a node that does
  private volatile java.util.function.Function<String, java.util.Optional<FlightLease>> elsewhere;
  /** Parse trees by query text, bounded (Caffeine's W-TinyLFU keeps the frequent ones). */
  private final com.github.benmanes.caffeine.cache.Cache<String, TableReferences> parsed =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumSize(PARSE_CACHE_ENTRIES).recordStats().build();
  private final java.util.concurrent.atomic.LongAdder failed = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder rejected = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder timedOut = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder cancelled = new java.util.concurrent.atomic.LongAdder();

  private SqlEngine(SqlConfig config, FlightStore store, BufferAllocator allocator, DuckDBConnection database,
      DuckDBConnection diagnostics) {
    this.config = config;
    this.diagnostics = diagnostics;
    this.store = store;
    this.allocator = allocator;
    this.database = database;
    this.admission = new Admission(config.maxConcurrentQueries(), config.maxQueuedQueries(), config.queueTimeout());
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hangar-sql-timer");
      t.setDaemon(true);
      return t;
    });
  }

  /** Opens the database with {@code config}'s threads and memory limit; {@code allocator} is the engine's own. */
  public static SqlEngine open(SqlConfig config, FlightStore store, BufferAllocator allocator) {
    DuckDBConnection db = null;
    try {
      db = database(config, true, config.threads());
      return new SqlEngine(config, store, allocator, db, database(config, false, 1));
    } catch (SQLException e) {
      if (db != null) {
        try {
          db.close();
        } catch (SQLException ignored) {
          // failing anyway
        }
      }
      throw new IllegalStateException("Cannot start DuckDB: " + e.getMessage(), e);
    }
  }

  /** An in-memory database, locked down: no files, no network, no extensions, settings locked. */
  private static DuckDBConnection database(SqlConfig config, boolean streaming, int threads) throws SQLException {
    Properties p = new Properties();
    p.setProperty("jdbc_stream_results", String.valueOf(streaming)); // produce results as the client reads them
    // the driver itself, not DriverManager: a broken java.sql.Driver elsewhere on the classpath stops its service scan
    DuckDBConnection db = (DuckDBConnection) new org.duckdb.DuckDBDriver().connect("jdbc:duckdb:", p);
    try (Statement s = db.createStatement()) {
      s.execute("SET threads = " + threads);
      s.execute("SET memory_limit = '" + config.memoryLimit() + "B'");
      s.execute("SET enable_external_access = false");
      s.execute("SET autoinstall_known_extensions = false");
      s.execute("SET autoload_known_extensions = false");
      s.execute("SET lock_configuration = true"); // and no query can change that
    } catch (SQLException | RuntimeException e) {
      db.close();
      throw e;
    }
    return db;
  }

  public SqlConfig config() {
    return config;
  }

  /** Queries holding a slot now (running, or with a result waiting to be fetched). */
  public int running() {
    return admission.running();
  }

  /** Queries waiting for a slot. */
  public int waiting() {
    return admission.waiting();
  }

  /**
   * How a query that finds no slot frees one held by a result nobody fetches (the Flight SQL service
   * keeps those results): drop one and answer true, or answer false.
   */
  public void reclaimSlotsWith(java.util.function.BooleanSupplier reclaim) {
    admission.reclaimWith(reclaim);
  }

  /** The parse cache, for its statistics. */
  public com.github.benmanes.caffeine.cache.Cache<String, TableReferences> parseCache() {
    return parsed;
  }

  /** Bytes the engine's allocator holds: result batches on their way out. Zero when idle. */
  public long allocatedBytes() {
    return allocator.getAllocatedMemory();
  }

  /** What the engine has done since the start, for the {@code stats} action. */
  public record Stats(int running, int waiting, long queries, long failed, long rejected, long timedOut, long cancelled) {}

  public Stats stats() {
    return new Stats(admission.running(), admission.waiting(), queries.get(), failed.sum(), rejected.sum(), timedOut.sum(),
        cancelled.sum());
  }

  /** What a prepared statement needs before it runs: its result schema and its parameters. */
  public record Described(Schema dataset, Schema parameters) {}

  /**
   * Prepares {@code sql} without running it: the schema its result will have and the types of its
   * parameters. The flights it names must exist (they are checked, and read for their schemas).
   */
  public Described describe(String sql) {
    String text = trimmed(sql);
    RunningQuery q = start(text);
    try {
      // the query wrapped in LIMIT 0 with every parameter NULL: DuckDB plans it without reading the
      // flights, and its (empty) Arrow result carries the exact schema; the wrapper keeps the parameters
      String probe = "SELECT * FROM (\n" + q.references().rewritten() + "\n) AS hangar_probe LIMIT 0";
      DuckDBPreparedStatement s = (DuckDBPreparedStatement) q.connection().prepareStatement(probe);
      q.statement(s);
      ParameterMetaData meta = s.getParameterMetaData();
      List<Field> fields = new ArrayList<>();
      for (int i = 1; i <= meta.getParameterCount(); i++) {
        fields.add(Field.nullable("parameter_" + i, Parameters.arrowType(meta.getParameterTypeName(i))));
        s.setObject(i, null);
      }
      execute(q, s);
      return new Described(q.schema(), new Schema(fields));
    } catch (SQLException | RuntimeException e) {
      failed.increment();
      throw q.failure(e);
    } finally {
      q.close();
    }
  }

  /**
   * Runs {@code sql} with {@code parameters} bound in order and returns it ready to stream. The
   * caller must close it. Waits for a slot (see {@link Admission}); the query is interrupted after
   * {@code sql.queryTimeout} from now.
   */
  public RunningQuery execute(String sql, List<Object> parameters) {
    String text = trimmed(sql);
    RunningQuery q = start(text);
    try {
      DuckDBPreparedStatement s = (DuckDBPreparedStatement) q.connection().prepareStatement(q.references().rewritten());
      q.statement(s);
      for (int i = 0; i < parameters.size(); i++) {
        s.setObject(i + 1, parameters.get(i));
      }
      q.timeout(timer.schedule(() -> q.interrupt(TIMED_OUT + ": it ran longer than " + Durations.format(config.queryTimeout())
          + " (sql.queryTimeout)"), config.queryTimeout().toMillis(), TimeUnit.MILLISECONDS));
      // The client that asked may leave while the query runs (it cancels, its deadline passes, its
      // connection drops): gRPC cancels the call's context, and the query stops with it.
      io.grpc.Context call = io.grpc.Context.current();
      io.grpc.Context.CancellationListener left = c -> q.interrupt(
          c.cancellationCause() instanceof java.util.concurrent.TimeoutException ? "Cancelled: the client's deadline passed"
              : "Cancelled: the client went away");
      call.addListener(left, Runnable::run);
      try {
        execute(q, s);
      } finally {
        call.removeListener(left);
      }
      if (call.isCancelled()) {
        throw new SqlCancelledException("Cancelled: the client went away"); // nobody will fetch it: free the slot below
      }
      return q;
    } catch (SQLException | RuntimeException | Error e) {
      Throwable cause = e instanceof SQLException x && LOST_ERROR.equals(firstLine(x)) && !q.interrupted()
          ? diagnose(q, parameters, x) : e;
      RuntimeException out = cause instanceof Error ? new IllegalStateException(cause) : q.failure(cause);
      q.close();
      failed.increment();
      throw out;
    }
  }

  private static final String LOST_ERROR = "Invalid Input Error: Invalid result set";

  private static String firstLine(Throwable t) {
    String m = t.getMessage() == null ? "" : t.getMessage().strip();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** Runs {@code q} again on the non-streaming database, over fresh scans of its leased flights, for its real error. */
  private SQLException diagnose(RunningQuery q, List<Object> parameters, SQLException lost) {
    List<ArrowArrayStream> streams = new ArrayList<>();
    try (DuckDBConnection c = diagnostics.duplicate()) {
      List<TableReferences.Reference> list = q.references().references();
      for (int i = 0; i < list.size(); i++) {
        FlightLease lease = q.lease(list.get(i).name());
        ArrowArrayStream stream = ArrowArrayStream.allocateNew(q.allocator());
        streams.add(stream);
        Data.exportArrayStream(q.allocator(), new dev.hangar.tiers.ipc.DecodingReader(q.allocator(), lease.summary().schema(), lease.cursor()), stream);
        c.registerArrowStream(TableReferences.REF_PREFIX + i, stream);
      }
      try (java.sql.PreparedStatement s = c.prepareStatement(q.references().rewritten())) {
        for (int i = 0; i < parameters.size(); i++) {
          s.setObject(i + 1, parameters.get(i));
        }
        // the run again counts against the query's own time limit, and stops with it
        java.util.concurrent.ScheduledFuture<?> limit = timer.schedule(() -> {
          try {
            s.cancel();
          } catch (SQLException ignored) {
            // finished meanwhile
          }
        }, Math.max(1, q.millisLeft(config.queryTimeout())), TimeUnit.MILLISECONDS);
        try {
          s.executeQuery().close();
        } finally {
          limit.cancel(false);
        }
      }
      return lost; // it ran this time: nothing better to say
    } catch (SQLException e) {
      return e;
    } finally {
      streams.forEach(ArrowArrayStream::close);
    }
  }

  /**
   * Runs {@code sql} and stores its result as the flight {@code path}, under that path's storage
   * class and quotas, like a DoPut would. Nothing is stored if the query or the put fails.
   */
  public FlightSummary storeResult(String sql, String path) {
    try (RunningQuery q = execute(sql, List.of())) {
      dev.hangar.tiers.ipc.FlightSchema schema = dev.hangar.tiers.ipc.JavaMessages.schema(q.schema());
      dev.hangar.tiers.ipc.MessageValidator validator = new dev.hangar.tiers.ipc.MessageValidator(schema);
      Upload upload = store.beginPut(path, schema, OptionalLong.empty());
      try {
        VectorUnloader unloader = new VectorUnloader(q.root());
        while (q.next()) {
          // a copy in Arrow memory of the flight's own: result batches are DuckDB's, lent until the result closes
          try (org.apache.arrow.vector.ipc.message.ArrowRecordBatch batch = unloader.getRecordBatch()) {
            upload.append(dev.hangar.tiers.ipc.JavaMessages.recordBatch(batch, validator, q.allocator()));
          }
        }
        FlightSummary summary = upload.commit();
        upload = null;
        return summary;
      } finally {
        if (upload != null) {
          upload.abort();
        }
      }
    }
  }

  /** Row {@code row} of a batch of prepared-statement parameters, as values to bind. */
  public static List<Object> parameterRow(org.apache.arrow.vector.VectorSchemaRoot root, int row) {
    return Parameters.row(root, row);
  }

  // ---- the steps of a query -------------------------------------------------------------

  /** Admission, a connection, and a lease and a registered stream per flight reference. */
  private RunningQuery start(String sql) {
    TableReferences refs;
    try {
      refs = parse(sql);
    } catch (RuntimeException e) {
      failed.increment();
      throw e;
    }
    try {
      admission.acquire();
    } catch (SqlBusyException e) {
      rejected.increment();
      throw e;
    }
    RunningQuery q;
    try {
      q = new RunningQuery(this, database, sql, allocator.newChildAllocator("query-" + queries.incrementAndGet(), 0, Long.MAX_VALUE));
      running.add(q);
    } catch (RuntimeException | Error e) {
      admission.release();
      throw e;
    }
    try {
      Map<String, FlightLease> byName = new HashMap<>();
      for (String name : refs.names()) {
        byName.put(name, open(name, q.allocator()));
        q.hold(name, byName.get(name));
      }
      q.connection(q.database().duplicate());
      List<TableReferences.Reference> list = refs.references();
      for (int i = 0; i < list.size(); i++) {
        ArrowArrayStream stream = ArrowArrayStream.allocateNew(q.allocator());
        q.addStream(stream);
        // one scan of the leased flight; the lease, owned by the query, keeps the batches alive
        FlightLease lease = byName.get(list.get(i).name());
        Data.exportArrayStream(q.allocator(), new dev.hangar.tiers.ipc.DecodingReader(q.allocator(), lease.summary().schema(), lease.cursor()), stream);
        q.connection().registerArrowStream(TableReferences.REF_PREFIX + i, stream);
      }
      q.references(refs);
      return q;
    } catch (SQLException e) {
      q.close();
      failed.increment();
      reopenIfInvalidated(q.database(), e);
      throw translate(e);
    } catch (RuntimeException | Error e) {
      q.close();
      failed.increment();
      reopenIfInvalidated(q.database(), e); // registering a stream can fail inside DuckDB too
      throw e;
    }
  }

  /**
   * A lease on the flight a table name means. SQL identifiers are case-insensitive and flight paths
   * are not: the exact path wins, else the one flight whose path differs only in case. A flight SQL
   * cannot decode, or one holding a value it cannot carry (ValueRange), is refused here, before the query runs.
   */
  private FlightLease open(String name, BufferAllocator allocator) {
    FlightLease lease = find(name);
    try {
      checkDecodable(lease.summary());
      valueRange.check(lease, allocator);
      return lease;
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  /**
   * Refuses a flight with a column that Arrow Java or DuckDB cannot decode: it is stored and served as
   * sent, but SQL cannot compute on it. Some of these would not just fail in DuckDB: a dictionary inside
   * a nested column makes DuckDB 2.0 fail an internal assertion, which invalidates its whole database.
   */
  private static void checkDecodable(FlightSummary flight) {
    for (FlightSchema.Column top : flight.schema().columns()) {
      String why = undecodable(top, false);
      if (why != null) {
        throw new SqlRejectedException("Cannot run the query over flight \"" + flight.path() + "\": column \"" + top.name()
            + "\" has type " + why + " (the flight is stored and served as sent; only SQL over it is refused;"
            + " cast the column in the client before caching it to query it)");
      }
    }
  }

  /**
   * What SQL cannot decode in column {@code c} ({@code nested}: below a top-level column), as "type, which
   * component cannot decode", or null if nothing.
   */
  private static String undecodable(FlightSchema.Column c, boolean nested) {
    String t = c.typeName();
    if (t.startsWith("decimal32") || t.startsWith("decimal64")) {
      return t + ", which Arrow Java cannot decode";
    }
    if (t.equals("float16") || t.endsWith("_union")
        || t.startsWith("decimal256(") && Integer.parseInt(t.substring("decimal256(".length(), t.indexOf(','))) > 38) {
      return t + ", which DuckDB cannot decode";
    }
    // DuckDB 2.0 fails internal assertions on these (see checkDecodable): dictionaries below the top level or
    // of structs and maps, run-end encoded columns below the top level or of nested values (struct<> too)
    if (c.dictionaryId() >= 0 && (nested || t.equals("struct") || t.equals("map"))) {
      return "dictionary<" + t + ">, which DuckDB cannot decode";
    }
    if (t.equals("run_end_encoded")) {
      FlightSchema.Column values = c.children().get(1);
      if (nested || !values.children().isEmpty() || values.typeName().equals("struct")) {
        return "run_end_encoded<" + values.typeName() + ">, which DuckDB cannot decode";
      }
    }
    if (t.equals("struct") && c.children().isEmpty()) {
      return "struct<> (no fields), which Arrow Java cannot pass to DuckDB";
    }
    if (t.equals("struct") && c.children().stream().map(FlightSchema.Column::name).distinct().count() < c.children().size()) {
      return "struct with two fields of one name, which Arrow Java cannot decode"; // it keeps a struct's fields by name
    }
    if (t.equals("fixed_size_list[0]")) {
      return t + ", which DuckDB answers with lists that Arrow readers refuse";
    }
    for (FlightSchema.Column child : c.children()) {
      String why = undecodable(child, true);
      if (why != null) {
        return nested ? why : t + " with a field of type " + why;
      }
    }
    return null;
  }

  private FlightLease find(String name) {
    try {
      dev.hangar.server.security.Grants.require(dev.hangar.config.AuthConfig.Access.READ, name);
      if (elsewhere != null) {
        java.util.Optional<FlightLease> remote = elsewhere.apply(name);
        if (remote.isPresent()) {
          return remote.get();
        }
      }
      return store.open(name);
    } catch (FlightNotFoundException | dev.hangar.server.security.Grants.PermissionDeniedException e) {
      // only flights the caller may read are candidates: the names of others' flights never show
      List<String> similar = store.list("").stream().map(FlightSummary::path)
          .filter(p -> p.equalsIgnoreCase(name) && dev.hangar.server.security.Grants.mayRead(p)).toList();
      if (similar.isEmpty() && e instanceof dev.hangar.server.security.Grants.PermissionDeniedException denied) {
        throw denied;
      }
      if (similar.size() == 1) {
        return store.open(similar.get(0));
      }
      if (similar.size() > 1) {
        throw new SqlRejectedException("Cannot run the query: table \"" + name + "\" could mean any of the flights " + similar
            + " (SQL names are case-insensitive): write the path with its exact case");
      }
      throw new FlightNotFoundException("Cannot run the query: there is no flight \"%s\" (a table in Hangar's SQL is a"
          + " flight path in double quotes, e.g. SELECT * FROM \"cache/tenant1/sales\"; ListFlights shows what there is)", name);
    } catch (dev.hangar.storage.InvalidFlightPathException e) {
      throw new SqlRejectedException("Cannot run the query: table \"" + name + "\" is not a flight path: " + e.getMessage());
    }
  }

  private void execute(RunningQuery q, DuckDBPreparedStatement s) throws SQLException {
    ResultSet rs = s.executeQuery();
    ArrowReader reader = (ArrowReader) ((DuckDBResultSet) rs).arrowExportStream(q.allocator(), RESULT_BATCH_ROWS);
    q.result(rs, reader);
  }

  /**
   * The tables {@code sql} names. Parse trees are cached by query text (a prepared statement, and
   * the JDBC driver's prepare-then-execute of every query, parse the same text again), which saves
   * ~0.8 ms of a ~3 ms GetFlightInfo; a query that fails to parse is not cached.
   */
  private TableReferences parse(String sql) {
    TableReferences cached = parsed.getIfPresent(sql);
    if (cached != null) {
      return cached;
    }
    TableReferences refs = parseUncached(sql); // outside the cache: a failure is not cached, and parsing does not block other keys
    parsed.put(sql, refs);
    return refs;
  }

  private TableReferences parseUncached(String sql) {
    DuckDBConnection db = database;
    try (DuckDBConnection c = db.duplicate();
        java.sql.PreparedStatement s = c.prepareStatement("SELECT json_serialize_sql(?::VARCHAR)")) {
      s.setString(1, sql);
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return TableReferences.of(sql, rs.getString(1));
      }
    } catch (SQLException e) {
      reopenIfInvalidated(db, e);
      throw translate(e);
    }
  }

  void finished(RunningQuery q, String interruption) {
    if (running.remove(q)) {
      admission.release();
      if (interruption != null) {
        (interruption.startsWith(TIMED_OUT) ? timedOut : cancelled).increment();
      }
    }
  }

  /** A query as DuckDB will see it: without trailing semicolons and blanks. */
  private static String trimmed(String sql) {
    if (sql == null || sql.isBlank()) {
      throw new SqlRejectedException("Cannot run an empty query");
    }
    String s = sql.strip();
    while (s.endsWith(";")) {
      s = s.substring(0, s.length() - 1).stripTrailing();
    }
    return s;
  }

  /**
   * After an internal assertion fails ("INTERNAL Error: …"), DuckDB invalidates its database ("FATAL
   * Error: … database has been invalidated"), and every later query fails until it is opened again.
   * Nothing of Hangar's lives in it between queries, so new ones (the streaming database and the
   * diagnostics one) replace them, once per failed instance. {@code t} may carry DuckDB's error as a cause.
   */
  void reopenIfInvalidated(DuckDBConnection failed, Throwable t) {
    Throwable duckdb = t;
    while (duckdb != null && !invalidates(duckdb.getMessage())) {
      duckdb = duckdb.getCause();
    }
    if (duckdb == null) {
      return;
    }
    synchronized (this) {
      if (database != failed) {
        return; // already replaced
      }
      DuckDBConnection newDatabase = null;
      try {
        newDatabase = database(config, true, config.threads());
        DuckDBConnection newDiagnostics = database(config, false, 1);
        closeQuietly(database);
        closeQuietly(diagnostics);
        database = newDatabase;
        diagnostics = newDiagnostics;
      } catch (SQLException e) {
        closeQuietly(newDatabase);
        LOG.error("DuckDB invalidated its database and a new one cannot be opened: {}", e.getMessage());
        return;
      }
      LOG.error("DuckDB invalidated its database after an internal error ({}); SQL goes on with a new one", firstLine(duckdb));
    }
  }

  /** Whether DuckDB's error {@code message} means its database is (or is about to be) unusable. */
  private static boolean invalidates(String message) {
    // DuckDB invalidates the database on an internal error too; the error says so only from the next query on
    return message != null && (message.startsWith("FATAL") || message.startsWith("INTERNAL Error")
        || message.contains("database has been invalidated"));
  }

  private static void closeQuietly(DuckDBConnection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        LOG.debug("Closing an invalidated DuckDB: {}", e.getMessage());
      }
    }
  }

  /** The database queries start from now. */
  DuckDBConnection database() {
    return database;
  }

  /** DuckDB's error as the exception its Flight status follows from; DuckDB's message goes to the client. */
  static RuntimeException translate(Throwable t) {
    if (!(t instanceof SQLException)) {
      return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }
    String message = t.getMessage() == null ? "" : t.getMessage().strip();
    String lower = message.toLowerCase(Locale.ROOT);
    if (lower.startsWith("out of memory error")) {
      return new SqlBusyException("Cannot run the query within sql.memoryLimit: " + message);
    }
    if (lower.startsWith("internal error") || lower.startsWith("fatal error")) {
      return new IllegalStateException(message, t);
    }
    return new SqlRejectedException(message);
  }

  /**
   * In a cluster, how to read a flight this node does not hold: {@code elsewhere} answers a lease on
   * another node's copy, or empty to read it here.
   */
  public void readElsewhere(java.util.function.Function<String, java.util.Optional<FlightLease>> elsewhere) {
    this.elsewhere = elsewhere;
  }

  @Override
  public void close() {
    for (RunningQuery q : List.copyOf(running)) {
      q.interrupt("The server is shutting down");
      q.close();
    }
    timer.shutdownNow();
    try {
      diagnostics.close();
      database.close();
    } catch (SQLException e) {
      LOG.warn("Closing DuckDB: {}", e.getMessage());
    }
  }
}
