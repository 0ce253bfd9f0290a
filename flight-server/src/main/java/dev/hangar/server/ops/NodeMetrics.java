package dev.hangar.server.ops;

import dev.hangar.server.security.Authenticator;
import dev.hangar.server.sql.SqlEngine;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.StoreStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Everything the node measures, as Micrometer meters in a Prometheus registry. Names follow
 * Prometheus conventions: the {@code hangar_} prefix, base units ({@code _bytes},
 * {@code _seconds}) and {@code _total} for counters. Store figures come from one {@link StoreStats}
 * snapshot, taken at each scrape ({@link #scrape()}), so a scrape costs one pass over the classes
 * and scopes, not one per meter.
 *
 * <p>Quota use is exported per limit-policy scope, and scopes come and go with paths. To bound the
 * label cardinality, only the {@value #TOP_SCOPES} scopes nearest a limit are exported by name, and
 * the rest are summed under {@code scope="other"}.
 */
public final class NodeMetrics implements AutoCloseable {
  /** Scopes exported by name; the rest are summed as "other". */
  public static final int TOP_SCOPES = 20;

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final FlightStore store;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final MultiGauge quotaUsed;
  private final MultiGauge quotaLimit;
  private volatile StoreStats stats;

  /**
   * @param allocators Arrow allocators by name, read at each scrape
   * @param keptFree bytes of freed large bodies kept for reuse (not in any allocator)
   * @param sql the SQL engine, or null when SQL is off
   * @param caches the Caffeine caches to report, by name (built with {@code recordStats()})
   */
  public NodeMetrics(FlightStore store, Map<String, Supplier<Long>> allocators, Supplier<Long> keptFree, SqlEngine sql, Authenticator auth,
      PutRejections rejections, Map<String, com.github.benmanes.caffeine.cache.Cache<?, ?>> caches) {
    this.store = store;
    this.stats = store.stats();
    // RPC latency as a histogram (le buckets), so that dashboards can take quantiles across nodes. The buckets start at
    // 50 µs, not Micrometer's default 1 ms: a small DoGet takes about 100 µs here, and a floor of 1 ms would put
    // nearly every call in the first bucket.
    registry.config().meterFilter(new io.micrometer.core.instrument.config.MeterFilter() {
      @Override
      public io.micrometer.core.instrument.distribution.DistributionStatisticConfig configure(io.micrometer.core.instrument.Meter.Id id,
          io.micrometer.core.instrument.distribution.DistributionStatisticConfig config) {
        if (id.getName().equals("grpc.server.processing.duration")) {
          return io.micrometer.core.instrument.distribution.DistributionStatisticConfig.builder().percentilesHistogram(true)
              .minimumExpectedValue((double) java.util.concurrent.TimeUnit.MICROSECONDS.toNanos(50)).build().merge(config);
        }
        return config;
      }
    });
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new NettyAllocatorMetrics(io.netty.buffer.PooledByteBufAllocator.DEFAULT).bindTo(registry);
    allocators.forEach((name, bytes) -> Gauge.builder("hangar.arrow.allocated", bytes, b -> b.get()).strongReference(true).baseUnit("bytes")
        .description("Arrow memory allocated").tag("allocator", name).register(registry));
    Gauge.builder("hangar.arrow.kept.free", keptFree, b -> b.get()).strongReference(true).baseUnit("bytes")
        .description("freed large bodies kept for the next ones, given back to the system after 5 minutes idle").register(registry);
    caches.forEach((name, cache) -> CaffeineCacheMetrics.monitor(registry, cache, name));

    for (StoreStats.TypeStats t : stats.storageTypes()) {
      String type = t.storage();
      Tags tags = Tags.of("storage", type);
      gauge("hangar.storage.used", "bytes", "bytes held in this storage type", tags, s -> type(s, type).bytes());
      gauge("hangar.storage.capacity", "bytes", "capacity of this storage type", tags, s -> type(s, type).capacity());
      gauge("hangar.storage.flights", null, "flights held in this storage type", tags, s -> type(s, type).flights());
      counter("hangar.storage.hits", "reads served from this storage type", tags, s -> type(s, type).hits());
      counter("hangar.storage.evictions", "flights that left this storage type to make room", tags, s -> type(s, type).evictions());
      counter("hangar.storage.spills", "flights moved to the next tier when evicted", tags, s -> type(s, type).spills());
      counter("hangar.storage.moves", "flights moved down by moveAfter", tags, s -> type(s, type).moves());
      counter("hangar.storage.promotions", "flights moved up by promoteAfter", tags, s -> type(s, type).promotions());
      counter("hangar.storage.expirations", "flights whose TTL passed", tags, s -> type(s, type).expirations());
    }
    for (StoreStats.ClassStats c : stats.storageClasses()) {
      String prefix = c.prefix();
      Tags tags = Tags.of("class", prefix);
      gauge("hangar.class.flights", null, "flights of this storage class", tags, s -> cls(s, prefix).flights());
      gauge("hangar.class.used", "bytes", "bytes the flights of this storage class hold in tiers", tags, s -> cls(s, prefix).bytes());
      counter("hangar.class.hits", "reads of a flight held in a tier", tags, s -> cls(s, prefix).hits());
      counter("hangar.class.misses", "reads of a flight the node does not hold", tags, s -> cls(s, prefix).misses());
      counter("hangar.class.puts", "flights stored", tags, s -> cls(s, prefix).puts());
      counter("hangar.class.deletions", "flights deleted", tags, s -> cls(s, prefix).deletions());
      counter("hangar.class.evictions", "flights evicted, for room or for a limit policy", tags, s -> cls(s, prefix).evictions());
      counter("hangar.class.restores", "durable flights read back into a tier", tags, s -> cls(s, prefix).restores());
      counter("hangar.class.durable.reads", "durable flights streamed from the store (no tier had room)", tags,
          s -> cls(s, prefix).durableReads());
      counter("hangar.class.durable.writes", "durable copies written", tags, s -> cls(s, prefix).durableWrites());
      counter("hangar.class.durable.write.failures", "durable copy attempts that failed", tags, s -> cls(s, prefix).durableFailures());
      counter("hangar.class.durable.expirations", "durable copies deleted by TTL", tags, s -> cls(s, prefix).durableExpirations());
    }
    FunctionCounter.builder("hangar.evictions", store, st -> st.limitPolicyEvictions()).tag("reason", "limit_policy")
        .description("flights evicted, by reason").register(registry);
    FunctionCounter.builder("hangar.evictions", this, m -> classEvictions(m.stats) - store.limitPolicyEvictions())
        .tag("reason", "capacity").description("flights evicted, by reason").register(registry);
    for (String reason : PutRejections.REASONS) {
      FunctionCounter.builder("hangar.put.rejections", rejections, r -> r.count(reason)).tag("reason", reason)
          .description("DoPuts refused, by reason").register(registry);
    }
    Gauge.builder("hangar.durable.uploads.open", store, st -> st.durableActivity().uploadsOpen())
        .description("durable objects being written now").register(registry);
    Gauge.builder("hangar.durable.weak.pending", store, st -> st.durableActivity().weakPending())
        .description("weak flights whose durable copy has not landed").register(registry);
    Gauge.builder("hangar.durable.weak.oldest.wait", store, st -> st.durableActivity().oldestWeakWait().toNanos() / 1e9)
        .baseUnit("seconds").description("how long the oldest weak flight has waited for its durable copy").register(registry);
    FunctionCounter.builder("hangar.durable.weak.retries", store, st -> st.durableActivity().weakRetries())
        .description("weak copies tried again after a failure").register(registry);
    quotaUsed = MultiGauge.builder("hangar.quota.used").description("use of a limit-policy scope (top scopes, the rest as other)")
        .register(registry);
    quotaLimit = MultiGauge.builder("hangar.quota.limit").description("limit of a limit-policy scope").register(registry);
    if (sql != null) {
      Gauge.builder("hangar.sql.queries.running", sql, SqlEngine::running).description("SQL queries running").register(registry);
      Gauge.builder("hangar.sql.queries.queued", sql, SqlEngine::waiting).description("SQL queries waiting for a slot").register(registry);
      sqlCounter(sql, "hangar.sql.queries", "SQL queries started", SqlEngine.Stats::queries);
      sqlCounter(sql, "hangar.sql.queries.failed", "SQL queries that failed", SqlEngine.Stats::failed);
      sqlCounter(sql, "hangar.sql.queries.rejected", "SQL queries refused for want of a slot", SqlEngine.Stats::rejected);
      sqlCounter(sql, "hangar.sql.queries.timed.out", "SQL queries stopped by sql.queryTimeout", SqlEngine.Stats::timedOut);
      sqlCounter(sql, "hangar.sql.queries.cancelled", "SQL queries their client cancelled or left", SqlEngine.Stats::cancelled);
    }
    for (String reason : List.of("missing", "malformed", "unknown-token", "bad-password", "unknown-certificate", "throttled")) {
      FunctionCounter.builder("hangar.auth.failures", auth, a -> a.failures().getOrDefault(reason, 0L)).tag("reason", reason)
          .description("calls refused for their credentials, by reason").register(registry);
    }
  }

  /**
   * Adds the cluster's meters: members seen, whether etcd answers, and what this node passed on to
   * others (forwarded puts, proxied reads, replica copies, rebalancing and the bytes it sent).
   */
  public void cluster(dev.hangar.server.cluster.Cluster cluster) {
    dev.hangar.server.cluster.ClusterMetrics m = cluster.metrics();
    Gauge.builder("hangar.cluster.members", cluster, c -> c.members().size()).description("live members this node sees")
        .register(registry);
    Gauge.builder("hangar.cluster.etcd.reachable", cluster, c -> c.membership() != null && c.membership().view().etcdReachable() ? 1 : 0)
        .description("1 while etcd answers; 0 while the node serves on its last view of the members").register(registry);
    FunctionCounter.builder("hangar.cluster.membership.changes", cluster, c -> c.membership() == null ? 0 : c.membership().view().changes())
        .description("membership views this node has seen").register(registry);
    clusterCounter("hangar.cluster.forwarded.puts", "DoPuts this node passed to the flight's primary owner", m.forwardedPuts);
    clusterCounter("hangar.cluster.proxied.gets", "DoGets this node streamed from another node", m.proxiedGets);
    FunctionCounter.builder("hangar.cluster.replica.copies", m.replicaCopies, java.util.concurrent.atomic.LongAdder::sum)
        .tag("outcome", "stored").description("replica copies made after a put, by outcome").register(registry);
    FunctionCounter.builder("hangar.cluster.replica.copies", m.replicaFailures, java.util.concurrent.atomic.LongAdder::sum)
        .tag("outcome", "failed").description("replica copies made after a put, by outcome").register(registry);
    clusterCounter("hangar.cluster.rebalance.copies", "flights the rebalancer sent to an owner that lacked them", m.rebalancedFlights);
    clusterCounter("hangar.cluster.rebalance.drops", "flights dropped here once every owner held them", m.droppedAfterHandover);
    FunctionCounter.builder("hangar.cluster.sent", m.bytesSent, java.util.concurrent.atomic.LongAdder::sum).baseUnit("bytes")
        .description("bytes of flights sent to other nodes (replicas and rebalancing)").register(registry);
  }

  private void clusterCounter(String name, String description, java.util.concurrent.atomic.LongAdder adder) {
    FunctionCounter.builder(name, adder, java.util.concurrent.atomic.LongAdder::sum).description(description).register(registry);
  }

  /** The registry, for binders that attach elsewhere (the gRPC interceptor). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Prometheus text format of every meter, from a fresh snapshot of the store. */
  public String scrape() {
    refresh();
    return registry.scrape();
  }

  /** Takes a new snapshot and re-reads the scopes exported by name. */
  public void refresh() {
    StoreStats s = store.stats();
    stats = s;
    List<StoreStats.ScopeStats> scopes = new ArrayList<>(s.limitScopes());
    scopes.sort(Comparator.comparingDouble(NodeMetrics::nearness).reversed());
    List<MultiGauge.Row<?>> used = new ArrayList<>();
    List<MultiGauge.Row<?>> limits = new ArrayList<>();
    long[] other = new long[3];
    for (int i = 0; i < scopes.size(); i++) {
      StoreStats.ScopeStats sc = scopes.get(i);
      if (i < TOP_SCOPES) {
        addRows(used, limits, sc, "ephemeral", sc.ephemeral(), sc.ephemeralLimit(), "bytes");
        addRows(used, limits, sc, "total", sc.total(), sc.totalLimit(), "bytes");
        addRows(used, limits, sc, "flights", sc.flights(), sc.flightsLimit(), null);
      } else {
        other[0] += sc.ephemeral();
        other[1] += sc.total();
        other[2] += sc.flights();
      }
    }
    if (scopes.size() > TOP_SCOPES) {
      used.add(MultiGauge.Row.of(Tags.of("policy", "other", "scope", "other", "kind", "ephemeral"), other[0]));
      used.add(MultiGauge.Row.of(Tags.of("policy", "other", "scope", "other", "kind", "total"), other[1]));
      used.add(MultiGauge.Row.of(Tags.of("policy", "other", "scope", "other", "kind", "flights"), other[2]));
    }
    quotaUsed.register(used, true);
    quotaLimit.register(limits, true);
  }

  private static void addRows(List<MultiGauge.Row<?>> used, List<MultiGauge.Row<?>> limits, StoreStats.ScopeStats sc, String kind,
      long value, Long limit, String unit) {
    Tags tags = Tags.of("policy", sc.policy(), "scope", sc.scope(), "kind", kind);
    used.add(MultiGauge.Row.of(tags, value));
    if (limit != null) {
      limits.add(MultiGauge.Row.of(tags, limit));
    }
  }

  /** How close a scope is to its nearest limit (1 = at it). */
  static double nearness(StoreStats.ScopeStats s) {
    double n = 0;
    if (s.ephemeralLimit() != null && s.ephemeralLimit() > 0) {
      n = Math.max(n, (double) s.ephemeral() / s.ephemeralLimit());
    }
    if (s.totalLimit() != null && s.totalLimit() > 0) {
      n = Math.max(n, (double) s.total() / s.totalLimit());
    }
    if (s.flightsLimit() != null && s.flightsLimit() > 0) {
      n = Math.max(n, (double) s.flights() / s.flightsLimit());
    }
    return n;
  }

  private void gauge(String name, String unit, String description, Tags tags, ToDoubleFunction<StoreStats> f) {
    Gauge.builder(name, this, m -> f.applyAsDouble(m.stats)).baseUnit(unit).description(description).tags(tags).register(registry);
  }

  private void counter(String name, String description, Tags tags, ToDoubleFunction<StoreStats> f) {
    FunctionCounter.builder(name, this, m -> f.applyAsDouble(m.stats)).description(description).tags(tags).register(registry);
  }

  private void sqlCounter(SqlEngine sql, String name, String description, Function<SqlEngine.Stats, Long> f) {
    FunctionCounter.builder(name, sql, e -> f.apply(e.stats())).description(description).register(registry);
  }

  private static StoreStats.TypeStats type(StoreStats s, String type) {
    return s.storageTypes().stream().filter(t -> t.storage().equals(type)).findFirst().orElseThrow();
  }

  private static StoreStats.ClassStats cls(StoreStats s, String prefix) {
    return s.storageClasses().stream().filter(c -> c.prefix().equals(prefix)).findFirst().orElseThrow();
  }

  private static long classEvictions(StoreStats s) {
    return s.storageClasses().stream().mapToLong(StoreStats.ClassStats::evictions).sum();
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
