package dev.hangar.server;

import dev.hangar.config.ConfigException;
import dev.hangar.config.HangarConfig;
import dev.hangar.config.Sizes;
import dev.hangar.config.StorageType;
import dev.hangar.config.StorageTypeConfig;
import dev.hangar.config.DurableStoreConfig;
import dev.hangar.storage.durability.Durables;
import dev.hangar.storage.FlightStore;
import dev.hangar.tiers.durable.DurableStore;
import dev.hangar.tiers.durable.DurableStoreException;
import dev.hangar.tiers.durable.FilesystemDurableStore;
import dev.hangar.tiers.durable.S3DurableStore;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.disk.DiskTier;
import dev.hangar.tiers.memory.MemoryTier;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Hangar node: allocators, tiers, the flight store and the Flight endpoint.
 *
 * <p>Allocators: one root ({@link dev.hangar.tiers.Allocators}: accounted as allocated), with children
 * {@code flight} (Flight SQL's messages, DoGet reads from disk, durable transfers) and the tiers' own. {@link #close()} shuts down in order and fails loudly
 * if any Arrow buffer leaked.
 */
public final class HangarServer implements AutoCloseable {
  /** This build's version, as Flight SQL's SqlInfo reports it. */
  public static final String VERSION = "0.1.0-SNAPSHOT";

  /** How often the status page's history samples the storage types (an hour is 360 samples). */
  private static final Duration HISTORY_SAMPLE = Duration.ofSeconds(10);

  /** How often the durable stores are asked whether they answer (readiness). */
  private static final Duration HEALTH_PROBE = Duration.ofSeconds(5);

  /** How often the TLS files are checked for changes. */
  private static final Duration TLS_RELOAD = Duration.ofSeconds(5);

  /** Bytes queued to a slow client before Arrow's handlers (Flight SQL results) wait: Flight's default. */
  private static final int BACKPRESSURE_THRESHOLD = 10 << 20;
  private static final int WRITE_HIGH_WATER_MARK = 4 << 20;
  private static final int WRITE_LOW_WATER_MARK = 1 << 20;

  /** Direct memory the server needs beyond the memory tier: messages in flight, DoGet roots. */
  public static final long WORKING_MEMORY = 256L << 20;

  private static final Logger LOG = LoggerFactory.getLogger(HangarServer.class);
  private static final Duration STALL_TIMEOUT = Duration.ofMinutes(5);
  /** How long a shutdown waits for weak flights to reach their durable store. */
  private static final Duration WEAK_FLUSH = Duration.ofSeconds(30);
  /** How often durable stores are swept for expired copies (TTL). */
  private static final Duration DURABLE_SWEEP = Duration.ofMinutes(10);

  private final HangarConfig config;
  private final dev.hangar.tiers.Allocators.Root root;
  private final BufferAllocator flightAllocator;
  private final BufferAllocator durableAllocator;
  private final FlightStore store;
  private final ExecutorService streams;
  private ExecutorService grpcExecutor;
  private final ScheduledExecutorService sweeper;
  private final FlightServer server;
  private final BufferAllocator sqlAllocator;
  private final dev.hangar.server.sql.SqlEngine sqlEngine; // null when sql.enabled is false
  private final FlightSqlService sql;
  private final dev.hangar.server.security.Authenticator authenticator;
  private final dev.hangar.server.ops.Health health;
  private final dev.hangar.server.ops.NodeMetrics metrics;
  private final dev.hangar.server.ops.OpsHttpServer http; // null without server.http
  private final CallTracker calls = new CallTracker();
  private final dev.hangar.server.cluster.Cluster cluster; // null: a node on its own
  /** How long a starting cluster node waits for etcd before it serves alone (and joins when etcd answers). */
  private static final Duration CLUSTER_JOIN_WAIT = Duration.ofSeconds(10);
  private final AtomicBoolean closed = new AtomicBoolean();

  private HangarServer(HangarConfig config, Clock clock, long directMemoryLimit) throws IOException {
    this.config = config;
    // The root is not limited: mapped files are accounted under it too (buffers can only move
    // between allocators of one root). Direct memory is bounded by the children's limits instead.
    // Freed large bodies are kept for the next ones while bodies in use and kept stay within the
    // memory tier's capacity (FreeBlocks): fresh pages cost a fault each.
    long memoryCapacity = config.storage().get(StorageType.MEMORY).map(StorageTypeConfig::capacity).orElse(0L);
    this.root = dev.hangar.tiers.Allocators.root(memoryCapacity);
    List<AutoCloseable> built = new ArrayList<>();
    try {
      this.flightAllocator = root.newChildAllocator("flight", 0, directMemoryLimit - memoryCapacity);
      built.add(flightAllocator);
      Map<StorageType, Tier> tiers = new EnumMap<>(StorageType.class);
      for (StorageTypeConfig t : config.storage().types().values()) {
        Tier tier = t.type() == StorageType.MEMORY
            ? new MemoryTier(root, t.capacity())
            : new DiskTier(t.type(), t.path().orElseThrow(), t.capacity(), root);
        tiers.put(t.type(), tier);
        built.add(0, tier);
      }
      this.durableAllocator = flightAllocator.newChildAllocator("durable", 0, Long.MAX_VALUE);
      built.add(0, durableAllocator);
      Map<String, DurableStore> stores = openDurableStores(config, built);
      this.store = new FlightStore(config.storageClasses(), tiers, new Durables(config.durableStores(), stores, durableAllocator),
          config.limitPolicies(), config.server().idempotencyWindow(), clock);
      built.removeAll(tiers.values()); // the store closes them, and the durable stores
      built.removeAll(stores.values());
      built.add(0, store);
      if (!config.limitPolicies().isEmpty()) {
        long t0 = System.nanoTime();
        int counted = store.recoverUsage(); // durable flights count towards their quotas before the first put
        LOG.info("Limit policies: {} durable flight(s) counted in {} ms", counted, (System.nanoTime() - t0) / 1_000_000);
      }
      this.streams = Executors.newCachedThreadPool(daemonThreads("hangar-doget"));
      built.add(0, streams::shutdownNow);
      this.sweeper = Executors.newSingleThreadScheduledExecutor(daemonThreads("hangar-sweeper"));
      built.add(0, sweeper::shutdownNow); // a start that fails below leaves no thread behind
      sweeper.scheduleWithFixedDelay(this::sweep, 1, 1, TimeUnit.SECONDS);
      if (!stores.isEmpty()) {
        // The catalog learns the durable flights in the background: the node serves at once, and a
        // path of a class not indexed yet is looked up in its store. A store that is down now is
        // indexed at a later durable sweep.
        Thread indexer = daemonThreads("hangar-index").newThread(() -> {
          try {
            int footers = store.indexDurable();
            LOG.info("Durable flights indexed; read {} footer(s)", footers);
          } catch (RuntimeException e) {
            LOG.warn("Indexing the durable stores stopped: {}", e.getMessage()); // closed meanwhile, say
          }
        });
        indexer.start();
        sweeper.scheduleWithFixedDelay(this::sweepDurable, 10, DURABLE_SWEEP.toSeconds(), TimeUnit.SECONDS);
      }
      this.sqlAllocator = flightAllocator.newChildAllocator("sql", 0, Long.MAX_VALUE);
      built.add(0, sqlAllocator);
      if (config.sql().enabled()) {
        this.sqlEngine = dev.hangar.server.sql.SqlEngine.open(config.sql(), store, sqlAllocator);
        built.add(0, sqlEngine);
        this.sql = new FlightSqlService(sqlEngine, store, sqlAllocator, streams, STALL_TIMEOUT.toMillis(), calls, tickerOf(clock));
        built.add(0, sql);
        Duration idle = config.sql().idleTimeout();
        sweeper.scheduleWithFixedDelay(() -> expireIdleSql(idle), 100, 100, TimeUnit.MILLISECONDS);
      } else {
        this.sqlEngine = null;
        this.sql = null;
      }
      HangarProducer producer = new HangarProducer(store, calls, sql, sqlEngine);
      // Arrow's builder gets a plain location; TLS is set on the Netty builder below, with credentials
      // that are re-read when their files change (Arrow's useTls reads them once).
      Location location = Location.forGrpcInsecure(config.server().host(), config.server().port());
      dev.hangar.server.security.TlsCredentials tls = null;
      if (config.server().tls().isPresent()) {
        try {
          tls = dev.hangar.server.security.TlsCredentials.load(config.server().tls().get());
        } catch (dev.hangar.server.security.PemFiles.TlsFileException e) {
          throw new ConfigException("(cannot serve it)", List.of(e.getMessage()));
        }
        dev.hangar.server.security.TlsCredentials reloading = tls;
        sweeper.scheduleWithFixedDelay(reloading::reloadIfChanged, TLS_RELOAD.toSeconds(), TLS_RELOAD.toSeconds(), TimeUnit.SECONDS);
      }
      this.authenticator = new dev.hangar.server.security.Authenticator(config.auth(),
          config.server().tls().map(dev.hangar.config.TlsConfig::mutual).orElse(false));
      producer.authenticator(authenticator);
      openNodeWarning(config).ifPresent(LOG::warn);
      dev.hangar.server.ops.PutRejections rejections = new dev.hangar.server.ops.PutRejections();
      authenticator.onRefusedPut(rejections::unauthenticated);
      this.health = new dev.hangar.server.ops.Health(store);
      sweeper.scheduleWithFixedDelay(health::probe, HEALTH_PROBE.toSeconds(), HEALTH_PROBE.toSeconds(), TimeUnit.SECONDS);
      Map<String, com.github.benmanes.caffeine.cache.Cache<?, ?>> caches = new java.util.TreeMap<>(store.caches());
      if (sqlEngine != null) {
        caches.put("sql_parse", sqlEngine.parseCache());
        caches.putAll(sql.caches());
      }
      Map<String, java.util.function.Supplier<Long>> allocators = new java.util.TreeMap<>(Map.of(
          "memory_tier", this::memoryAllocatedBytes, "working", this::workingAllocatedBytes,
          "durable", durableAllocator::getAllocatedMemory, "sql", sqlAllocator::getAllocatedMemory));
      this.metrics = new dev.hangar.server.ops.NodeMetrics(store, allocators, this::keptFreeBytes, sqlEngine, authenticator, rejections, caches);
      built.add(0, metrics);
      dev.hangar.server.ops.RecentErrors errors = new dev.hangar.server.ops.RecentErrors();
      dev.hangar.server.ops.History history = new dev.hangar.server.ops.History(store);
      sweeper.scheduleWithFixedDelay(history::sample, HISTORY_SAMPLE.toSeconds(), HISTORY_SAMPLE.toSeconds(), TimeUnit.SECONDS);
      dev.hangar.server.ops.StatusPage page = new dev.hangar.server.ops.StatusPage(config, store, history, health, errors);
      dev.hangar.server.dataplane.CallThreads threads = new dev.hangar.server.dataplane.CallThreads(config.cluster().isEmpty());
      this.grpcExecutor = threads.pool();
      built.add(0, grpcExecutor::shutdownNow);
      if (config.cluster().isPresent()) {
        dev.hangar.config.ClusterConfig cc = config.cluster().get();
        store.shareDurableStores(); // other nodes write to them too
        authenticator.clusterToken(cc.token());
        this.cluster = new dev.hangar.server.cluster.Cluster(cc, dev.hangar.server.cluster.EtcdAccess.of(cc),
            new dev.hangar.server.cluster.Peers(cc.token(), cc.peerTimeout(), (int) config.server().maxMessageSize(), peerTls(config, tls)), store,
            dev.hangar.server.dataplane.DataPlane::flightData);
        built.add(0, cluster);
        health.cluster(cluster::healthNote);
        metrics.cluster(cluster);
        if (sqlEngine != null) {
          sqlEngine.readElsewhere(cluster::openElsewhere);
          sql.cluster(cluster);
        }
        producer.cluster(cluster);
      } else {
        this.cluster = null;
      }
      // Arrow's Flight service with the data plane in place of its path calls (see DataPlane); gRPC keeps
      // the last service registered under a name, and Flight's middleware still wraps every call.
      io.grpc.ServerServiceDefinition service = io.grpc.ServerInterceptors.intercept(
          new dev.hangar.server.dataplane.DataPlane(store, calls, flightAllocator, rejections, cluster, threads).wrap(org.apache.arrow.flight.FlightGrpcUtils
              .createFlightService(flightAllocator, producer, org.apache.arrow.flight.auth.ServerAuthHandler.NO_OP, grpcExecutor)
              .bindService()),
          new org.apache.arrow.flight.grpc.ServerBackpressureThresholdInterceptor(BACKPRESSURE_THRESHOLD),
          new org.apache.arrow.flight.auth.ServerAuthInterceptor(org.apache.arrow.flight.auth.ServerAuthHandler.NO_OP),
          dev.hangar.server.cluster.Cluster.peerCalls(), // marks calls from other nodes, once authenticated
          new ErrorSanitizer(errors),
          authenticator, // the last ones run first: every call is authenticated before anything else,
          new io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor(metrics.registry())); // and timed, refusals included
      io.netty.handler.ssl.SslContext ssl = tls == null ? null : tls.sslContext();
      this.server =
          FlightServer.builder(flightAllocator, location, producer)
              .middleware(RequestLog.KEY, new RequestLog.Factory())
              .executor(grpcExecutor)
              .backpressureThreshold(BACKPRESSURE_THRESHOLD)
              .transportHint("grpc.builderConsumer",
                  (java.util.function.Consumer<io.grpc.netty.NettyServerBuilder>) b -> {
                    // Netty's HTTP/2 flow controller writes no more than the channel takes before it turns
                    // unwritable: with the default 64 KiB mark, a large DoGet went out as 64 KiB frames, one
                    // writev each (BENCHMARKS.md, "the HTTP/2 write size"). Bodies are written by reference,
                    // and a call may queue BACKPRESSURE_THRESHOLD anyway, so a higher mark costs no memory.
                    b.withChildOption(io.netty.channel.ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new io.netty.channel.WriteBufferWaterMark(WRITE_LOW_WATER_MARK, WRITE_HIGH_WATER_MARK));
                    b.directExecutor(); // what runs a call is chosen per call, by CallThreads
                    b.callExecutor(threads);
                    b.addService(service);
                    b.addService(health.grpcService()); // grpc.health.v1.Health, outside Flight's auth: probes carry none
                    b.maxInboundMessageSize((int) config.server().maxMessageSize());
                    if (ssl != null) {
                      b.sslContext(ssl);
                    }
                  })
              .build();
      server.start();
      built.add(0, server); // stopped if what follows fails
      if (config.server().http().isPresent()) {
        this.http = new dev.hangar.server.ops.OpsHttpServer(config.server().http().get(), tls == null ? null : tls.jdkServerContext(),
            metrics, health, authenticator, page);
        built.add(0, http);
      } else {
        this.http = null;
      }
      if (cluster != null) {
        String advertise = config.cluster().get().advertise().orElse(location().getUri().toString());
        String httpLocation = http == null ? "" : "http://" + config.server().http().get().host() + ":" + http.port();
        cluster.join(new dev.hangar.server.cluster.Member(config.cluster().get().nodeId(), advertise, httpLocation), CLUSTER_JOIN_WAIT);
      }
    } catch (IOException | RuntimeException | Error e) {
      built.add(root);
      AutoCloseables.closeNoChecked(() -> AutoCloseables.close(built));
      throw e;
    }
  }

  /**
   * The TLS a node uses to call the others: {@code cluster.peerCa} as trust (else the JVM's), and its
   * own certificate when its server asks clients for one (the nodes of a mutual-TLS cluster present
   * theirs to each other). Null when neither is set: plain channels, or the JVM's trust for grpc+tls.
   */
  private static io.netty.handler.ssl.SslContext peerTls(HangarConfig config, dev.hangar.server.security.TlsCredentials own) {
    dev.hangar.config.ClusterConfig cc = config.cluster().get();
    boolean mutual = config.server().tls().map(dev.hangar.config.TlsConfig::mutual).orElse(false);
    if (cc.peerCa().isEmpty() && !mutual) {
      return null;
    }
    try {
      io.netty.handler.ssl.SslContextBuilder b = io.grpc.netty.GrpcSslContexts.forClient();
      if (cc.peerCa().isPresent()) {
        b.trustManager(dev.hangar.server.security.PemFiles.certificates("cluster.peerCa", cc.peerCa().get())
            .toArray(new java.security.cert.X509Certificate[0]));
      }
      if (mutual) {
        b.keyManager(own.keyManager());
      }
      return b.build();
    } catch (dev.hangar.server.security.PemFiles.TlsFileException e) {
      throw new ConfigException("(cannot serve it)", List.of(e.getMessage()));
    } catch (javax.net.ssl.SSLException e) {
      throw new ConfigException("(cannot serve it)", List.of("cluster.peerCa: this JVM's TLS cannot call other nodes with "
          + cc.peerCa().map(p -> "the CA in " + p).orElse("its default trust store") + (mutual ? " and server.tls's certificate" : "")));
    }
  }

  /**
   * Opens every durable store a storage class uses and checks it can be written (a missing bucket
   * or an unwritable directory stops the start with the store's name and the reason).
   */
  private static Map<String, DurableStore> openDurableStores(HangarConfig config, List<AutoCloseable> built) {
    java.util.Set<String> used = new java.util.HashSet<>();
    config.storageClasses().forEach(c -> c.durableStore().ifPresent(used::add));
    Map<String, DurableStore> stores = new java.util.LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    List<DurableStoreConfig> all = config.durableStores();
    for (int i = 0; i < all.size(); i++) {
      DurableStoreConfig c = all.get(i);
      if (!used.contains(c.id())) {
        continue; // defined but unused: not opened, so an unreachable spare store does not stop the node
      }
      DurableStore s = c instanceof DurableStoreConfig.S3 s3
          ? new S3DurableStore(s3)
          : new FilesystemDurableStore(c.id(), ((DurableStoreConfig.Filesystem) c).path());
      built.add(0, s);
      try {
        s.check();
        stores.put(c.id(), s);
        LOG.info("Durable store {} is ready", s.describe());
      } catch (DurableStoreException e) {
        problems.add("durableStores[" + i + "]: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("(cannot serve it)", problems);
    }
    return stores;
  }

  /**
   * Starts a node on {@code config}.
   *
   * @throws ConfigException if the config asks for something this build cannot do, or does not fit
   *     the JVM's direct memory
   * @throws IOException if the port cannot be bound
   */
  public static HangarServer start(HangarConfig config) throws IOException {
    return start(config, Clock.systemUTC());
  }

  /** Starts a node whose TTLs and access times follow {@code clock}. */
  public static HangarServer start(HangarConfig config, Clock clock) throws IOException {
    List<String> problems = new ArrayList<>();
    long direct = maxDirectMemory();
    long memory = config.storage().get(StorageType.MEMORY).map(StorageTypeConfig::capacity).orElse(0L);
    if (memory + WORKING_MEMORY > direct) {
      problems.add("storage.memory.capacity: " + Sizes.format(memory) + " does not fit the JVM's direct memory limit of "
          + Sizes.format(direct) + " (the server needs capacity + " + Sizes.format(WORKING_MEMORY)
          + "; raise HANGAR_MAX_DIRECT_MEMORY or -XX:MaxDirectMemorySize, or lower the capacity)");
    }
    config.server().tls().ifPresent(tls -> problems.addAll(dev.hangar.server.security.TlsCredentials.problems(tls, java.time.Instant.now())));
    if (!problems.isEmpty()) {
      throw new ConfigException("(cannot serve it)", problems);
    }
    return new HangarServer(config, clock, direct);
  }

  /** The port the Flight endpoint listens on (the bound one when the config asked for 0). */
  public int port() {
    return server.getPort();
  }

  public Location location() {
    return config.server().tls().isPresent()
        ? Location.forGrpcTls(config.server().host(), port())
        : Location.forGrpcInsecure(config.server().host(), port());
  }

  /** The warning {@code serve} logs for a node without auth that listens beyond loopback, if this is one. */
  public static java.util.Optional<String> openNodeWarning(HangarConfig config) {
    if (config.auth().enabled() || config.server().isLoopback()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of("Hangar listens on " + config.server().host() + " without authentication: anyone who can reach the"
        + " port can read, write and delete every flight. Configure auth (and server.tls) before exposing it.");
  }

  /** The operations port (metrics, health), or -1 without {@code server.http}. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** This node's cluster, or null if it is on its own. */
  public dev.hangar.server.cluster.Cluster cluster() {
    return cluster;
  }

  public dev.hangar.server.ops.Health health() {
    return health;
  }

  public dev.hangar.server.ops.NodeMetrics metrics() {
    return metrics;
  }

  /** Who authenticated how often, and failures by reason. */
  public dev.hangar.server.security.Authenticator authenticator() {
    return authenticator;
  }

  /** The store behind the endpoint; tests use it to check invariants. */
  public FlightStore store() {
    return store;
  }

  /** Bytes the memory tier holds: its allocator and the heap bytes of headers (equal to the memory capacity in use when idle). */
  public long memoryAllocatedBytes() {
    Tier memory = store.tiers().get(StorageType.MEMORY);
    return memory == null ? 0 : ((MemoryTier) memory).heldBytes();
  }

  /** Bytes of freed large bodies kept for the next ones (not in any allocator; see {@link dev.hangar.tiers.Allocators}). */
  public long keptFreeBytes() {
    return root.keptBytes();
  }

  /** Bytes held outside the tiers: messages being received or sent. Zero when no call is running. */
  public long workingAllocatedBytes() {
    return flightAllocator.getAllocatedMemory();
  }

  /** Calls Hangar is working on now (producer methods running, DoGet streams). */
  public int runningCalls() {
    return calls.running();
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  private void sweepDurable() {
    try {
      store.indexDurable(); // classes whose store was down at start-up
      int n = store.sweepDurable();
      if (n > 0) {
        LOG.info("Deleted {} expired durable copies", n);
      }
    } catch (RuntimeException e) {
      LOG.error("Background sweep of durable stores (TTL) failed", e);
    }
  }

  private void expireIdleSql(Duration idle) {
    try {
      int n = sql.expireIdle();
      if (n > 0) {
        LOG.info("Dropped {} SQL result(s) or prepared statement(s) unused for {} (sql.idleTimeout)", n, idle);
      }
    } catch (RuntimeException e) {
      LOG.error("Expiring idle SQL results failed", e);
    }
  }

  /** Queries holding a slot (running or waiting to be fetched); 0 when SQL is off or idle. */
  public int sqlQueriesRunning() {
    return sqlEngine == null ? 0 : sqlEngine.running();
  }

  /** Results and prepared statements the SQL service keeps for clients. */
  public int sqlPending() {
    return sql == null ? 0 : sql.pendingResults() + sql.openPreparedStatements();
  }

  /** Bytes held by SQL results on their way out; zero when no query runs. */
  public long sqlAllocatedBytes() {
    return sqlAllocator.getAllocatedMemory();
  }

  private void sweep() {
    try {
      int n = store.expireDue();
      if (n > 0) {
        LOG.debug("Expired {} flights", n);
      }
      int moved = store.maintain();
      if (moved > 0) {
        LOG.debug("Moved {} flights between tiers (moveAfter / promoteAfter)", moved);
      }
      long trimmed = root.trimIdle();
      if (trimmed > 0) {
        LOG.debug("Gave {} bytes of idle freed bodies back to the system", trimmed);
      }
    } catch (RuntimeException e) {
      LOG.error("Background sweep (TTL, moveAfter, promoteAfter) failed", e);
    }
  }

  /**
   * Stops accepting calls, lets running calls finish for up to {@code grace}, then cancels what is
   * left, drops every flight and closes the allocators (failing if a buffer leaked).
   */
  public void close(Duration grace) {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    health.stopping(); // /ready and the gRPC health service say so before the port stops taking calls
    if (cluster != null) {
      cluster.leave(); // leaves the cluster first: the other nodes place and route without this one
    }
    server.shutdown(); // no new calls
    try {
      if (!calls.awaitIdle(grace)) {
        LOG.warn("{} call(s) still running after {}; cancelling them", calls.running(), grace);
      }
      // What is left are calls already answered whose client has not closed its side (see CallTracker).
      server.awaitTermination(200, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (cluster != null) {
      // only now: a put that was running sent its replicas through these channels before it
      // answered (closed earlier, an acknowledged flight could be left on this leaving node alone)
      cluster.close();
    }
    streams.shutdownNow();
    sweeper.shutdownNow();
    if (grpcExecutor != null) {
      grpcExecutor.shutdownNow();
    }
    int unflushed = store.flushWeak(WEAK_FLUSH);
    if (unflushed > 0) {
      LOG.warn("{} weak flight(s) did not reach their durable store within {} and are lost with this shutdown", unflushed, WEAK_FLUSH);
    }
    try {
      streams.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    AutoCloseables.closeNoChecked(() -> AutoCloseables.close(http, metrics, server, sql, sqlEngine, sqlAllocator, store, durableAllocator,
        flightAllocator, root));
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(30));
  }

  /** The JVM's direct memory limit ({@code -XX:MaxDirectMemorySize}, else the heap size). */
  static long maxDirectMemory() {
    return io.netty.util.internal.PlatformDependent.maxDirectMemory();
  }

  /** The time caches expire by: the monotonic system ticker, unless a test runs the server on its own clock. */
  static com.github.benmanes.caffeine.cache.Ticker tickerOf(Clock clock) {
    if (clock.equals(Clock.systemUTC())) {
      return com.github.benmanes.caffeine.cache.Ticker.systemTicker();
    }
    return () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
