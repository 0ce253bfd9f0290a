package dev.hangar.server.sql;

import dev.hangar.storage.FlightLease;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBPreparedStatement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One query from admission to its last batch: its slot, the leases on the flights it reads (held
 * for the whole run, so an eviction, overwrite or delete meanwhile changes nothing for it), its
 * DuckDB connection and statement, and the Arrow reader over its result. {@link #close()} frees
 * all of it, in the order DuckDB and Arrow need, exactly once.
 */
public final class RunningQuery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunningQuery.class);

  private final SqlEngine engine;
  private final org.duckdb.DuckDBConnection database; // the engine's database when the query began
  private final String sql;
  private final BufferAllocator allocator;
  private final java.util.Map<String, FlightLease> leases = new java.util.LinkedHashMap<>();
  private final List<ArrowArrayStream> streams = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile String interruption; // why the query was interrupted, if it was
  private DuckDBConnection connection;
  private DuckDBPreparedStatement statement;
  private ResultSet resultSet;
  private ArrowReader reader;
  private ScheduledFuture<?> timeout;
  private TableReferences references;
  private final long startNanos = System.nanoTime();

  RunningQuery(SqlEngine engine, org.duckdb.DuckDBConnection database, String sql, BufferAllocator allocator) {
    this.engine = engine;
    this.database = database;
    this.sql = sql;
    this.allocator = allocator;
  }

  public String sql() {
    return sql;
  }

  /** The engine's database when the query began (its connection is a duplicate of it). */
  org.duckdb.DuckDBConnection database() {
    return database;
  }

  /** The result's schema, exactly as its batches will carry it. */
  public Schema schema() {
    try {
      return reader.getVectorSchemaRoot().getSchema();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The root each {@link #next()} loads into. */
  public VectorSchemaRoot root() {
    try {
      return reader.getVectorSchemaRoot();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Loads the next batch of the result into {@link #root()}; false at the end. */
  public boolean next() {
    try {
      return reader.loadNextBatch();
    } catch (IOException | RuntimeException e) {
      throw failure(e);
    }
  }

  /** Interrupts DuckDB (a timeout, a client that went away). The owner still closes the query. */
  public void interrupt(String why) {
    if (interruption == null) {
      interruption = why;
    }
    DuckDBPreparedStatement s = statement;
    if (s != null && !closed.get()) {
      try {
        s.cancel();
      } catch (SQLException | RuntimeException e) {
        LOG.debug("Interrupting a query that is finishing: {}", e.getMessage());
      }
    }
  }

  /** Turns what DuckDB threw into what the client should hear. */
  RuntimeException failure(Throwable t) {
    String why = interruption;
    if (why != null) {
      return why.startsWith(SqlEngine.TIMED_OUT) ? new QueryTimeoutException(why) : new SqlCancelledException(why);
    }
    engine.reopenIfInvalidated(database, t);
    return SqlEngine.translate(t);
  }

  /** Whether {@link #interrupt} was called (a timeout, a cancel). */
  boolean interrupted() {
    return interruption != null;
  }

  /** What is left of {@code limit}, counted from the query's admission. */
  long millisLeft(java.time.Duration limit) {
    return limit.toMillis() - (System.nanoTime() - startNanos) / 1_000_000;
  }

  boolean isClosed() {
    return closed.get();
  }

  // ---- set up by SqlEngine, in this order -------------------------------------------------

  BufferAllocator allocator() {
    return allocator;
  }

  void references(TableReferences refs) {
    this.references = refs;
  }

  TableReferences references() {
    return references;
  }

  void hold(String name, FlightLease lease) {
    leases.put(name, lease);
  }

  /** The lease on the flight the table {@code name} means. */
  FlightLease lease(String name) {
    return leases.get(name);
  }

  void addStream(ArrowArrayStream stream) {
    streams.add(stream);
  }

  void connection(DuckDBConnection c) {
    this.connection = c;
  }

  DuckDBConnection connection() {
    return connection;
  }

  void statement(DuckDBPreparedStatement s) {
    this.statement = s;
  }

  void result(ResultSet rs, ArrowReader r) {
    this.resultSet = rs;
    this.reader = r;
  }

  void timeout(ScheduledFuture<?> f) {
    this.timeout = f;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (timeout != null) {
      timeout.cancel(false);
    }
    List<AutoCloseable> order = new ArrayList<>();
    order.add(reader);
    order.add(resultSet);
    order.add(statement);
    order.add(connection);
    order.addAll(streams); // releases each exported reader that DuckDB did not release
    order.addAll(leases.values());
    order.add(allocator);
    try {
      AutoCloseables.close(order);
    } catch (Exception e) {
      LOG.error("Closing the query failed (a leak?): {}", sql, e);
    } finally {
      engine.finished(this, interruption);
      if (LOG.isDebugEnabled()) {
        LOG.debug("SQL query ended after {} ms{}: {}", (System.nanoTime() - startNanos) / 1_000_000,
            interruption == null ? "" : " (" + interruption + ")", sql);
      }
    }
  }
}
