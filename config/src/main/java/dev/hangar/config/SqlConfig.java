package dev.hangar.config;

import java.time.Duration;

/**
 * The {@code sql:} section: DuckDB over flights, served as Arrow Flight SQL on the server's port.
 *
 * @param enabled whether the node answers SQL at all (Flight SQL commands fail with a clear error if not)
 * @param threads DuckDB worker threads shared by all queries
 * @param memoryLimit DuckDB's memory limit for all queries together (its own hash tables and sorts;
 *     flights are read in place and not counted here)
 * @param queryTimeout how long one query may run, from admission to its last batch
 * @param maxConcurrentQueries queries that run at once; more wait in a queue
 * @param maxQueuedQueries how many may wait; beyond that a query is refused at once
 * @param queueTimeout how long a query may wait for a slot before it is refused
 * @param idleTimeout how long an unfetched result or an unused prepared statement is kept
 * @param resultGrace how long an unfetched result keeps its query slot while other queries wait for one;
 *     after that the oldest such result is dropped to make room (its DoGet then says so)
 */
public record SqlConfig(
    boolean enabled,
    int threads,
    long memoryLimit,
    Duration queryTimeout,
    int maxConcurrentQueries,
    int maxQueuedQueries,
    Duration queueTimeout,
    Duration idleTimeout,
    Duration resultGrace) {
  public static final long DEFAULT_MEMORY_LIMIT = 1L << 30;
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofMinutes(5);
  public static final int DEFAULT_MAX_QUEUED = 64;
  public static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
  public static final Duration DEFAULT_RESULT_GRACE = Duration.ofSeconds(10);

  public SqlConfig {
    Checks.check(threads >= 1, "sql.threads must be at least 1, got %s", threads);
    Checks.check(memoryLimit >= 1 << 20, "sql.memoryLimit must be at least 1MiB, got %s", memoryLimit);
    Checks.check(maxConcurrentQueries >= 1, "sql.maxConcurrentQueries must be at least 1, got %s", maxConcurrentQueries);
    Checks.check(maxQueuedQueries >= 0, "sql.maxQueuedQueries must be 0 or more, got %s", maxQueuedQueries);
    Checks.check(positive(queryTimeout) && positive(idleTimeout) && positive(resultGrace) && !queueTimeout.isNegative(),
        "sql timeouts must be positive");
  }

  /** What a config without a {@code sql:} section gets: SQL on, sized for this machine. */
  public static SqlConfig defaults() {
    int cores = Runtime.getRuntime().availableProcessors();
    return new SqlConfig(true, cores, DEFAULT_MEMORY_LIMIT, DEFAULT_QUERY_TIMEOUT, Math.max(2, cores), DEFAULT_MAX_QUEUED,
        DEFAULT_QUEUE_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_RESULT_GRACE);
  }

  private static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }
}
