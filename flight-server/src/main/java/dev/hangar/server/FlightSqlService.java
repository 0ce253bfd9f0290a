package dev.hangar.server;

import dev.hangar.server.security.Authenticator;
import dev.hangar.server.security.Grants;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.hangar.server.sql.RunningQuery;
import dev.hangar.server.sql.SqlEngine;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.FlightSummary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import java.util.concurrent.ExecutorService;
import java.util.regex.Pattern;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.CancelFlightInfoRequest;
import org.apache.arrow.flight.CancelStatus;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SchemaResult;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.sql.NoOpFlightSqlProducer;
import org.apache.arrow.flight.sql.SqlInfoBuilder;
import org.apache.arrow.flight.sql.impl.FlightSql;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow Flight SQL on Hangar's port: statements and prepared statements run by {@link SqlEngine},
 * and a catalog in which every flight is a table ({@code memory.main."cache/t1/sales"}).
 *
 * <p>A query runs when its FlightInfo is asked for (so the schema is exact); its result waits,
 * holding its query slot and flight leases, until the ticket is fetched with DoGet, cancelled, or
 * left unfetched for {@code sql.idleTimeout} (or for {@code sql.resultGrace} while other queries wait
 * for its slot: the oldest such result is dropped for them). Prepared statements are kept until closed or idle for
 * as long. Flight SQL has no disconnect signal, so those time limits are what frees what a
 * vanished client left.
 */
final class FlightSqlService extends NoOpFlightSqlProducer {
  static final String CATALOG = SqlEngine.CATALOG;
  static final String SCHEMA = SqlEngine.SCHEMA;
  static final String TABLE_TYPE = "TABLE";


  private final SqlEngine engine;
  private final FlightStore store;
  private volatile dev.hangar.server.cluster.Cluster cluster; // null on a single node
  private final BufferAllocator allocator;
  private final BatchStreamer streamer;
  private final CallTracker calls;
  private final SqlInfoBuilder sqlInfo;
  /**
   * Results waiting for their DoGet: one left unfetched for {@code sql.idleTimeout} expires, and
   * the removal listener closes its query (a fetched or cancelled one is removed by hand, and its
   * taker closes it).
   */
  private final Cache<ByteString, Pending> results;
  /** Prepared statements, forgotten when unused for {@code sql.idleTimeout}. */
  private final Cache<ByteString, Prepared> prepared;
  private final java.util.concurrent.atomic.AtomicInteger expired = new java.util.concurrent.atomic.AtomicInteger();
  /** Results dropped to give their slot to a waiting query, remembered so that their DoGet can say so. */
  private final Cache<ByteString, Boolean> yielded;
  private final java.util.concurrent.atomic.LongAdder yieldedCount = new java.util.concurrent.atomic.LongAdder();

  /** A result waiting for its DoGet. */
  /** A result waiting to be fetched, by the principal that ran it and nobody else. */
  private record Pending(RunningQuery query, String owner) {}

  /** A prepared statement: its SQL, schemas and the parameters bound last. */
  private static final class Prepared {
    final String sql;
    final SqlEngine.Described described;
    final String owner;
    volatile List<Object> parameters = List.of();

    Prepared(String sql, SqlEngine.Described described, String owner) {
      this.sql = sql;
      this.described = described;
      this.owner = owner;
    }
  }

  /** @param ticker the time idle results and prepared statements expire by (tests advance it) */
  /** In a cluster: the catalog (getTables) lists every member's flights. */
  void cluster(dev.hangar.server.cluster.Cluster cluster) {
    this.cluster = cluster;
  }

  FlightSqlService(SqlEngine engine, FlightStore store, BufferAllocator allocator, ExecutorService streams, long stallTimeoutMillis,
      CallTracker calls, Ticker ticker) {
    this.engine = engine;
    Duration idle = engine.config().idleTimeout();
    this.results = Caffeine.newBuilder()
        .expireAfterWrite(idle)
        .ticker(ticker)
        .executor(Runnable::run) // close an expired query on the thread that noticed, not later on a pool
        .removalListener((ByteString handle, Pending p, RemovalCause cause) -> {
          if (cause.wasEvicted()) {
            expired.incrementAndGet();
          }
          if (cause != RemovalCause.EXPLICIT && p != null) {
            p.query().close(); // expired, or dropped at shutdown; a result taken by hand is its taker's to close
          }
        })
        .recordStats()
        .build();
    this.prepared = Caffeine.newBuilder()
        .expireAfterAccess(idle)
        .ticker(ticker)
        .executor(Runnable::run)
        .removalListener((ByteString handle, Prepared p, RemovalCause cause) -> {
          if (cause.wasEvicted()) {
            expired.incrementAndGet();
          }
        })
        .recordStats()
        .build();
    this.yielded = Caffeine.newBuilder().expireAfterWrite(idle).maximumSize(10_000).ticker(ticker).build();
    engine.reclaimSlotsWith(this::yieldOldestUnfetched);
    this.store = store;
    this.allocator = allocator;
    this.streamer = new BatchStreamer(streams, stallTimeoutMillis, calls);
    this.calls = calls;
    this.sqlInfo = new SqlInfoBuilder()
        .withFlightSqlServerName("Hangar")
        .withFlightSqlServerVersion(HangarServer.VERSION)
        .withFlightSqlServerArrowVersion(org.apache.arrow.flight.FlightClient.class.getPackage().getImplementationVersion() == null
            ? "18.3.0" : org.apache.arrow.flight.FlightClient.class.getPackage().getImplementationVersion())
        .withFlightSqlServerReadOnly(true)
        .withFlightSqlServerSql(true)
        .withFlightSqlServerSubstrait(false)
        .withFlightSqlServerTransaction(FlightSql.SqlSupportedTransaction.SQL_SUPPORTED_TRANSACTION_NONE)
        .withFlightSqlServerCancel(true)
        .withFlightSqlServerBulkIngestion(true) // as a put of the flight at the table's path (SqlIngest)
        .withFlightSqlServerStatementTimeout((int) Math.min(Integer.MAX_VALUE, engine.config().queryTimeout().toSeconds()))
        .withFlightSqlServerTransactionTimeout(0)
        .withSqlIdentifierQuoteChar("\"")
        .withSqlSearchStringEscape("\\")
        .withSqlExtraNameCharacters("/")
        .withSqlCatalogTerm("catalog")
        .withSqlSchemaTerm("schema")
        .withSqlDdlCatalog(false)
        .withSqlDdlSchema(false)
        .withSqlDdlTable(false)
        .withSqlTransactionsSupported(false)
        .withSqlSupportsColumnAliasing(true)
        .withSqlNullPlusNullIsNull(true)
        .withSqlSupportsTableCorrelationNames(true)
        .withSqlSupportsExpressionsInOrderBy(true)
        .withSqlSupportsOrderByUnrelated(true)
        .withSqlCorrelatedSubqueriesSupported(true)
        .withSqlIdentifierCase(FlightSql.SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE)
        .withSqlQuotedIdentifierCase(FlightSql.SqlSupportedCaseSensitivity.SQL_CASE_SENSITIVITY_CASE_INSENSITIVE);
  }

  /** The caches of pending results and prepared statements, for their stats. */
  public Map<String, Cache<?, ?>> caches() {
    return Map.of("sql_results", results, "sql_prepared_statements", prepared);
  }

  // ---- statements ----------------------------------------------------------------------

  @Override
  public FlightInfo getFlightInfoStatement(FlightSql.CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    return pendingInfo(engine.execute(command.getQuery(), List.of()), descriptor);
  }

  @Override
  public SchemaResult getSchemaStatement(FlightSql.CommandStatementQuery command, CallContext context, FlightDescriptor descriptor) {
    return new SchemaResult(engine.describe(command.getQuery()).dataset());
  }

  @Override
  public void getStreamStatement(FlightSql.TicketStatementQuery ticket, CallContext context, ServerStreamListener listener) {
    Pending p = take(ticket.getStatementHandle());
    if (p == null && yielded.getIfPresent(ticket.getStatementHandle()) != null) {
      listener.error(CallStatus.NOT_FOUND.withDescription("Cannot fetch the result: it was left unfetched longer than"
          + " sql.resultGrace (" + dev.hangar.config.Durations.format(engine.config().resultGrace()) + ") while other queries"
          + " waited for its query slot, so it was dropped for them; run the query again and fetch its result at once")
          .toRuntimeException());
      return;
    }
    if (p == null) {
      listener.error(CallStatus.NOT_FOUND.withDescription("Cannot fetch the result: it was already fetched, cancelled, or"
          + " left unfetched longer than sql.idleTimeout (" + dev.hangar.config.Durations.format(engine.config().idleTimeout())
          + "); run the query again").toRuntimeException());
      return;
    }
    stream(p.query(), listener);
  }

  private FlightInfo pendingInfo(RunningQuery q, FlightDescriptor descriptor) {
    ByteString handle = newHandle();
    results.put(handle, new Pending(q, Authenticator.current().name()));
    Ticket ticket = new Ticket(Any.pack(FlightSql.TicketStatementQuery.newBuilder().setStatementHandle(handle).build()).toByteArray());
    return FlightInfo.builder(q.schema(), descriptor, List.of(new FlightEndpoint(ticket))).setOrdered(true).build();
  }

  /**
   * Removes and returns the pending result of {@code handle} if the current principal ran it; to
   * anyone else it does not exist (a handle is 128 random bits, but a leaked one must not help).
   */
  private Pending take(ByteString handle) {
    Pending p = results.getIfPresent(handle);
    if (p == null || !p.owner().equals(Authenticator.current().name())) {
      return null;
    }
    return results.asMap().remove(handle, p) ? p : null;
  }

  /**
   * Drops the result that has waited longest for its DoGet, if that is longer than {@code sql.resultGrace},
   * and closes it, which frees its query slot; answers whether it did. Called by a query that finds no
   * slot ({@link SqlEngine#reclaimSlotsWith}).
   */
  private boolean yieldOldestUnfetched() {
    var writes = results.policy().expireAfterWrite().orElseThrow();
    for (Map.Entry<ByteString, Pending> oldest : writes.oldest(1).entrySet()) {
      boolean overdue = writes.ageOf(oldest.getKey()).map(age -> age.compareTo(engine.config().resultGrace()) >= 0).orElse(false);
      if (overdue && results.asMap().remove(oldest.getKey(), oldest.getValue())) {
        yielded.put(oldest.getKey(), Boolean.TRUE);
        yieldedCount.increment();
        oldest.getValue().query().close();
        return true;
      }
    }
    return false;
  }

  /** Streams {@code q} to the client from Hangar's executor, with backpressure, then closes it. */
  private void stream(RunningQuery q, ServerStreamListener listener) {
    calls.enter();
    BatchStreamer.Source source = new BatchStreamer.Source() {
      @Override
      public VectorSchemaRoot root() {
        return q.root();
      }

      @Override
      public boolean next() {
        return q.next();
      }

      @Override
      public void close() {
        q.close();
      }
    };
    // result batches are DuckDB's, replaced by each load: gRPC copies them as they are sent
    streamer.stream(listener, source, "the query", false, () -> q.interrupt("Cancelled by the client"));
  }

  // ---- prepared statements -------------------------------------------------------------

  @Override
  public void createPreparedStatement(FlightSql.ActionCreatePreparedStatementRequest request, CallContext context,
      StreamListener<Result> listener) {
    SqlEngine.Described d = engine.describe(request.getQuery());
    ByteString handle = newHandle();
    prepared.put(handle, new Prepared(request.getQuery(), d, Authenticator.current().name()));
    FlightSql.ActionCreatePreparedStatementResult result = FlightSql.ActionCreatePreparedStatementResult.newBuilder()
        .setPreparedStatementHandle(handle)
        .setDatasetSchema(ByteString.copyFrom(serialize(d.dataset())))
        .setParameterSchema(ByteString.copyFrom(serialize(d.parameters())))
        .build();
    listener.onNext(new Result(Any.pack(result).toByteArray()));
    listener.onCompleted();
  }

  @Override
  public void closePreparedStatement(FlightSql.ActionClosePreparedStatementRequest request, CallContext context,
      StreamListener<Result> listener) {
    Prepared p = prepared.getIfPresent(request.getPreparedStatementHandle());
    if (p != null && p.owner.equals(Authenticator.current().name())) {
      prepared.invalidate(request.getPreparedStatementHandle());
    }
    listener.onCompleted();
  }

  private Prepared prepared(ByteString handle) {
    Prepared p = prepared.getIfPresent(handle); // an access: it resets the idle timer
    if (p == null || !p.owner.equals(Authenticator.current().name())) { // another principal's: it does not exist
      throw CallStatus.NOT_FOUND.withDescription("Unknown prepared statement: it was closed, or unused longer than sql.idleTimeout ("
          + dev.hangar.config.Durations.format(engine.config().idleTimeout()) + "); prepare it again").toRuntimeException();
    }
    return p;
  }

  @Override
  public Runnable acceptPutPreparedStatementQuery(FlightSql.CommandPreparedStatementQuery command, CallContext context,
      FlightStream stream, StreamListener<PutResult> ack) {
    return () -> {
      try {
        Prepared p = prepared(command.getPreparedStatementHandle());
        List<List<Object>> rows = new ArrayList<>();
        while (stream.next()) {
          VectorSchemaRoot root = stream.getRoot();
          for (int r = 0; r < root.getRowCount(); r++) {
            rows.add(dev.hangar.server.sql.SqlEngine.parameterRow(root, r));
          }
        }
        if (rows.size() > 1) {
          throw new Errors.BadRequestException("Cannot bind " + rows.size() + " rows of parameters to a query: bind one row per execution");
        }
        int expected = p.described.parameters().getFields().size();
        List<Object> values = rows.isEmpty() ? List.of() : rows.get(0);
        if (values.size() != expected) {
          throw new Errors.BadRequestException("Cannot bind " + values.size() + " parameter(s): the statement has " + expected);
        }
        p.parameters = values;
        FlightSql.DoPutPreparedStatementResult result = FlightSql.DoPutPreparedStatementResult.newBuilder()
            .setPreparedStatementHandle(command.getPreparedStatementHandle()).build();
        byte[] bytes = result.toByteArray();
        ArrowBuf buf = allocator.buffer(bytes.length);
        buf.writeBytes(bytes);
        try (PutResult put = PutResult.metadata(buf)) {
          ack.onNext(put);
        }
        ack.onCompleted();
      } catch (Throwable t) {
        ack.onError(Errors.toFlight(t, "binding parameters"));
      }
    };
  }

  @Override
  public FlightInfo getFlightInfoPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context,
      FlightDescriptor descriptor) {
    Prepared p = prepared(command.getPreparedStatementHandle());
    return pendingInfo(engine.execute(p.sql, p.parameters), descriptor);
  }

  @Override
  public SchemaResult getSchemaPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context,
      FlightDescriptor descriptor) {
    return new SchemaResult(prepared(command.getPreparedStatementHandle()).described.dataset());
  }

  @Override
  public void getStreamPreparedStatement(FlightSql.CommandPreparedStatementQuery command, CallContext context,
      ServerStreamListener listener) {
    Prepared p = prepared(command.getPreparedStatementHandle());
    stream(engine.execute(p.sql, p.parameters), listener);
  }

  @Override
  public Runnable acceptPutStatement(FlightSql.CommandStatementUpdate command, CallContext context, FlightStream stream,
      StreamListener<PutResult> ack) {
    return readOnly(ack);
  }

  @Override
  public Runnable acceptPutPreparedStatementUpdate(FlightSql.CommandPreparedStatementUpdate command, CallContext context,
      FlightStream stream, StreamListener<PutResult> ack) {
    return readOnly(ack);
  }

  private static Runnable readOnly(StreamListener<PutResult> ack) {
    return () -> ack.onError(CallStatus.INVALID_ARGUMENT.withDescription("Hangar's SQL is read-only: flights are written with DoPut"
        + " or Flight SQL bulk ingestion (adbc_ingest), and a query's result is stored as a flight with the query-to-flight"
        + " action").toRuntimeException());
  }

  @Override
  public void beginTransaction(FlightSql.ActionBeginTransactionRequest request, CallContext context,
      StreamListener<FlightSql.ActionBeginTransactionResult> listener) {
    listener.onError(noTransactions());
  }

  @Override
  public void beginSavepoint(FlightSql.ActionBeginSavepointRequest request, CallContext context,
      StreamListener<FlightSql.ActionBeginSavepointResult> listener) {
    listener.onError(noTransactions());
  }

  private static RuntimeException noTransactions() {
    return CallStatus.UNIMPLEMENTED.withDescription("Hangar's SQL is read-only and has no transactions or savepoints:"
        + " run queries in autocommit mode (SqlInfo FLIGHT_SQL_SERVER_TRANSACTION says NONE)").toRuntimeException();
  }

  // ---- cancellation and expiry ---------------------------------------------------------

  @Override
  public void cancelFlightInfo(CancelFlightInfoRequest request, CallContext context, StreamListener<CancelStatus> listener) {
    listener.onNext(cancel(request.getInfo()));
    listener.onCompleted();
  }

  @Override
  @SuppressWarnings("deprecation")
  public void cancelQuery(FlightInfo info, CallContext context, StreamListener<org.apache.arrow.flight.sql.CancelResult> listener) {
    CancelStatus s = cancel(info);
    listener.onNext(s == CancelStatus.CANCELLED ? org.apache.arrow.flight.sql.CancelResult.CANCELLED
        : org.apache.arrow.flight.sql.CancelResult.NOT_CANCELLABLE);
    listener.onCompleted();
  }

  private CancelStatus cancel(FlightInfo info) {
    CancelStatus status = CancelStatus.NOT_CANCELLABLE;
    for (FlightEndpoint e : info.getEndpoints()) {
      try {
        Any any = Any.parseFrom(e.getTicket().getBytes());
        if (any.is(FlightSql.TicketStatementQuery.class)) {
          Pending p = take(any.unpack(FlightSql.TicketStatementQuery.class).getStatementHandle());
          if (p != null) {
            p.query().interrupt("Cancelled by the client");
            p.query().close();
            status = CancelStatus.CANCELLED;
          }
        }
      } catch (IOException ignored) {
        // not one of our tickets: nothing to cancel
      }
    }
    return status;
  }

  /**
   * Runs the caches' pending expiry now (Caffeine expires lazily, as they are used): closes results
   * nobody fetched and forgets prepared statements nobody used within {@code sql.idleTimeout}.
   * Returns how many expired since the last call.
   */
  int expireIdle() {
    results.cleanUp();
    prepared.cleanUp();
    return expired.getAndSet(0);
  }

  /**
   * {"running", "waiting", "pendingResults", "preparedStatements", "queries", "failed", "rejected",
   * "timedOut", "cancelled", "yielded"}: now, and counted since the start.
   */
  Map<String, Object> stats() {
    SqlEngine.Stats s = engine.stats();
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("running", s.running());
    m.put("waiting", s.waiting());
    m.put("pendingResults", pendingResults());
    m.put("preparedStatements", openPreparedStatements());
    m.put("queries", s.queries());
    m.put("failed", s.failed());
    m.put("rejected", s.rejected());
    m.put("timedOut", s.timedOut());
    m.put("cancelled", s.cancelled());
    m.put("yielded", yieldedCount.sum());
    return m;
  }

  /** Results waiting for their DoGet, and prepared statements open. */
  int pendingResults() {
    return (int) results.estimatedSize();
  }

  int openPreparedStatements() {
    return (int) prepared.estimatedSize();
  }

  @Override
  public void close() {
    results.invalidateAll(); // the removal listener closes each query
    results.cleanUp();
    prepared.invalidateAll();
  }

  // ---- catalog -------------------------------------------------------------------------

  @Override
  public FlightInfo getFlightInfoSqlInfo(FlightSql.CommandGetSqlInfo command, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(command, descriptor, Schemas.GET_SQL_INFO_SCHEMA);
  }

  @Override
  public void getStreamSqlInfo(FlightSql.CommandGetSqlInfo command, CallContext context, ServerStreamListener listener) {
    sqlInfo.send(command.getInfoList(), listener);
  }

  @Override
  public FlightInfo getFlightInfoCatalogs(FlightSql.CommandGetCatalogs request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_CATALOGS_SCHEMA);
  }

  @Override
  public void getStreamCatalogs(CallContext context, ServerStreamListener listener) {
    sendRows(listener, Schemas.GET_CATALOGS_SCHEMA, java.util.Collections.<Object[]>singletonList(new Object[] {CATALOG}));
  }

  @Override
  public FlightInfo getFlightInfoSchemas(FlightSql.CommandGetDbSchemas request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_SCHEMAS_SCHEMA);
  }

  @Override
  public void getStreamSchemas(FlightSql.CommandGetDbSchemas command, CallContext context, ServerStreamListener listener) {
    boolean match = (!command.hasCatalog() || command.getCatalog().equals(CATALOG))
        && (!command.hasDbSchemaFilterPattern() || like(command.getDbSchemaFilterPattern()).matcher(SCHEMA).matches());
    sendRows(listener, Schemas.GET_SCHEMAS_SCHEMA, match ? java.util.Collections.<Object[]>singletonList(new Object[] {CATALOG, SCHEMA}) : List.of());
  }

  @Override
  public FlightInfo getFlightInfoTables(FlightSql.CommandGetTables request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor,
        request.getIncludeSchema() ? Schemas.GET_TABLES_SCHEMA : Schemas.GET_TABLES_SCHEMA_NO_SCHEMA);
  }

  @Override
  public void getStreamTables(FlightSql.CommandGetTables command, CallContext context, ServerStreamListener listener) {
    boolean here = (!command.hasCatalog() || command.getCatalog().equals(CATALOG))
        && (!command.hasDbSchemaFilterPattern() || like(command.getDbSchemaFilterPattern()).matcher(SCHEMA).matches())
        && (command.getTableTypesCount() == 0 || command.getTableTypesList().contains(TABLE_TYPE));
    List<Object[]> rows = new ArrayList<>();
    if (here) {
      Pattern name = command.hasTableNameFilterPattern() ? like(command.getTableNameFilterPattern()) : null;
      java.util.Iterator<FlightSummary> local = store.list("").stream().filter(s -> Grants.mayRead(s.path())).iterator();
      java.util.Iterator<org.apache.arrow.flight.impl.Flight.FlightInfo> infos = new java.util.Iterator<>() {
        @Override
        public boolean hasNext() {
          return local.hasNext();
        }

        @Override
        public org.apache.arrow.flight.impl.Flight.FlightInfo next() {
          return dev.hangar.server.dataplane.MetadataCalls.info(local.next());
        }
      };
      // in a cluster, every member's flights, each once (the merged listing ListFlights answers with)
      dev.hangar.server.cluster.ClusterListing.Listing merged = cluster == null ? null : dev.hangar.server.cluster.ClusterListing
          .merged(cluster, org.apache.arrow.flight.impl.Flight.Criteria.getDefaultInstance(), infos, dev.hangar.server.security.Authenticator.current());
      try {
        java.util.Iterator<org.apache.arrow.flight.impl.Flight.FlightInfo> all = merged == null ? infos : merged;
        while (all.hasNext()) {
          org.apache.arrow.flight.impl.Flight.FlightInfo info = all.next();
          String path = dev.hangar.server.cluster.ClusterListing.pathOf(info);
          if (name == null || name.matcher(path).matches()) {
            rows.add(command.getIncludeSchema()
                ? new Object[] {CATALOG, SCHEMA, path, TABLE_TYPE, info.getSchema().toByteArray()}
                : new Object[] {CATALOG, SCHEMA, path, TABLE_TYPE});
          }
        }
      } finally {
        if (merged != null) {
          merged.close();
        }
      }
    }
    sendRows(listener, command.getIncludeSchema() ? Schemas.GET_TABLES_SCHEMA : Schemas.GET_TABLES_SCHEMA_NO_SCHEMA, rows);
  }

  @Override
  public FlightInfo getFlightInfoTableTypes(FlightSql.CommandGetTableTypes request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_TABLE_TYPES_SCHEMA);
  }

  @Override
  public void getStreamTableTypes(CallContext context, ServerStreamListener listener) {
    sendRows(listener, Schemas.GET_TABLE_TYPES_SCHEMA, java.util.Collections.<Object[]>singletonList(new Object[] {TABLE_TYPE}));
  }

  // Flights have no keys: the key lookups JDBC tools make answer empty, with the right schemas.

  @Override
  public FlightInfo getFlightInfoPrimaryKeys(FlightSql.CommandGetPrimaryKeys request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_PRIMARY_KEYS_SCHEMA);
  }

  @Override
  public void getStreamPrimaryKeys(FlightSql.CommandGetPrimaryKeys command, CallContext context, ServerStreamListener listener) {
    sendEmpty(listener, Schemas.GET_PRIMARY_KEYS_SCHEMA);
  }

  @Override
  public FlightInfo getFlightInfoExportedKeys(FlightSql.CommandGetExportedKeys request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_EXPORTED_KEYS_SCHEMA);
  }

  @Override
  public void getStreamExportedKeys(FlightSql.CommandGetExportedKeys command, CallContext context, ServerStreamListener listener) {
    sendEmpty(listener, Schemas.GET_EXPORTED_KEYS_SCHEMA);
  }

  @Override
  public FlightInfo getFlightInfoImportedKeys(FlightSql.CommandGetImportedKeys request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_IMPORTED_KEYS_SCHEMA);
  }

  @Override
  public void getStreamImportedKeys(FlightSql.CommandGetImportedKeys command, CallContext context, ServerStreamListener listener) {
    sendEmpty(listener, Schemas.GET_IMPORTED_KEYS_SCHEMA);
  }

  @Override
  public FlightInfo getFlightInfoCrossReference(FlightSql.CommandGetCrossReference request, CallContext context,
      FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_CROSS_REFERENCE_SCHEMA);
  }

  @Override
  public void getStreamCrossReference(FlightSql.CommandGetCrossReference command, CallContext context, ServerStreamListener listener) {
    sendEmpty(listener, Schemas.GET_CROSS_REFERENCE_SCHEMA);
  }

  @Override
  public FlightInfo getFlightInfoTypeInfo(FlightSql.CommandGetXdbcTypeInfo request, CallContext context, FlightDescriptor descriptor) {
    return metadataInfo(request, descriptor, Schemas.GET_TYPE_INFO_SCHEMA);
  }

  @Override
  public void getStreamTypeInfo(FlightSql.CommandGetXdbcTypeInfo request, CallContext context, ServerStreamListener listener) {
    sendEmpty(listener, Schemas.GET_TYPE_INFO_SCHEMA);
  }

  private static FlightInfo metadataInfo(Message command, FlightDescriptor descriptor, Schema schema) {
    Ticket ticket = new Ticket(Any.pack(command).toByteArray());
    return FlightInfo.builder(schema, descriptor, List.of(new FlightEndpoint(ticket))).build();
  }

  private void sendEmpty(ServerStreamListener listener, Schema schema) {
    sendRows(listener, schema, List.of());
  }

  /** A small metadata result (strings and binaries only), sent from the call's thread. */
  private void sendRows(ServerStreamListener listener, Schema schema, List<Object[]> rows) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      root.allocateNew();
      for (int r = 0; r < rows.size(); r++) {
        Object[] row = rows.get(r);
        for (int c = 0; c < row.length; c++) {
          Object v = row[c];
          if (root.getVector(c) instanceof VarCharVector s) {
            s.setSafe(r, ((String) v).getBytes(StandardCharsets.UTF_8));
          } else {
            ((VarBinaryVector) root.getVector(c)).setSafe(r, (byte[]) v);
          }
        }
      }
      root.setRowCount(rows.size());
      listener.start(root);
      if (!rows.isEmpty()) {
        listener.putNext();
      }
      listener.completed();
    }
  }

  /** A SQL LIKE pattern ({@code %}, {@code _}, {@code \} escapes) as a regular expression. */
  static Pattern like(String pattern) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '\\' && i + 1 < pattern.length()) {
        re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
      } else if (c == '%') {
        re.append(".*");
      } else if (c == '_') {
        re.append('.');
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }

  static byte[] serialize(Schema schema) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), schema);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  private static ByteString newHandle() {
    UUID id = UUID.randomUUID();
    ByteBuffer b = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    return ByteString.copyFrom(b.array());
  }

  /** Whether {@code ticket} is a Flight SQL ticket (an {@code Any} of a Flight SQL message), not a flight path. */
  static boolean isSqlTicket(byte[] ticket) {
    // an Any starts with its type URL, field 1 (tag byte 0x0A, a newline, which no flight path has):
    // a path ticket is told apart without a failed parse on every DoGet
    if (ticket.length == 0 || ticket[0] != 0x0A) {
      return false;
    }
    try {
      Any any = Any.parseFrom(ticket);
      return any.getTypeUrl().startsWith("type.googleapis.com/arrow.flight.protocol.sql.");
    } catch (IOException e) {
      return false;
    }
  }

}
