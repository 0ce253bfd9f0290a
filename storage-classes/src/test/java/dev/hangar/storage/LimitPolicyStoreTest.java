package dev.hangar.storage;

import dev.hangar.storage.durability.Durables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.DurableStoreConfig;
import dev.hangar.config.HangarConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.StorageTypeConfig;
import dev.hangar.limits.QuotaExceededException;
import dev.hangar.limits.Scope;
import dev.hangar.limits.UsageLedger;
import dev.hangar.tiers.BatchCursor;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.disk.DiskTier;
import dev.hangar.tiers.durable.DurableStore;
import dev.hangar.tiers.durable.FilesystemDurableStore;
import dev.hangar.tiers.memory.MemoryTier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limit policies applied by the flight store, through its whole lifecycle: every policy type and
 * limit kind, eviction inside an ephemeral scope, quotas under concurrency, durable flights across
 * a restart. After every test the ledger must match the flights exactly ({@link
 * FlightStore#quotaProblems()}), nothing may stay reserved, and the allocator must be empty.
 */
class LimitPolicyStoreTest {
  static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
  static final int ROWS = 1000;

  @TempDir Path dir;
  final RootAllocator root = new RootAllocator();
  final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
  final FlightStoreTest.MutableClock clock = new FlightStoreTest.MutableClock();
  final List<FlightLease> leases = new ArrayList<>();
  /** Body bytes of one batch: the unit limits below are written in ({@code 5U}). */
  final long unit = probe();
  /** What one batch weighs in the memory tier: the unit capacities are written in ({@code 13W}). */
  final long weight = weigh();
  HangarConfig config;
  FlightStore store;

  private long weigh() {
    try (ArrowRecordBatch b = batch(0)) {
      return MemoryTier.sizeOf(b, root);
    }
  }

  private long probe() {
    try (ArrowRecordBatch b = batch(0)) {
      return b.computeBodyLength();
    }
  }

  /** Starts a store on {@code yaml}, with sizes in units {@code U} and {@code W} and {@code ${DIR}} a temp dir. */
  FlightStore start(String yaml) {
    if (store != null) {
      store.close();
    }
    String sized = java.util.regex.Pattern.compile("(\\d+)([UW])\\b").matcher(yaml)
        .replaceAll(m -> Long.toString(Long.parseLong(m.group(1)) * (m.group(2).equals("U") ? unit : weight)));
    config = HangarConfig.parse(sized, "test", Map.of("DIR", dir.toString()));
    Map<StorageType, Tier> tiers = new EnumMap<>(StorageType.class);
    for (StorageTypeConfig t : config.storage().types().values()) {
      tiers.put(t.type(), t.type() == StorageType.MEMORY ? new MemoryTier(root, t.capacity())
          : new DiskTier(t.type(), t.path().orElseThrow(), t.capacity(), root));
    }
    Map<String, DurableStore> stores = new HashMap<>();
    for (DurableStoreConfig d : config.durableStores()) {
      FilesystemDurableStore fs = new FilesystemDurableStore(d.id(), ((DurableStoreConfig.Filesystem) d).path());
      fs.check();
      stores.put(d.id(), fs);
    }
    Durables durables = new Durables(config.durableStores(), stores, root.newChildAllocator("durable", 0, Long.MAX_VALUE));
    store = new FlightStore(config.storageClasses(), tiers, durables, config.limitPolicies(), clock);
    return store;
  }

  @AfterEach
  void checkInvariantsAndClose() {
    try {
      leases.forEach(FlightLease::close);
      if (store != null) {
        assertThat(store.quotaProblems()).isEmpty();
        assertThat(store.usageLedger().openReservations()).isZero();
        store.close();
      }
    } finally {
      ingest.close();
      root.close();
    }
  }

  ArrowRecordBatch batch(long value) {
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
      BigIntVector v = (BigIntVector) vsr.getVector(0);
      v.allocateNew(ROWS);
      for (int r = 0; r < ROWS; r++) {
        v.set(r, value + r);
      }
      vsr.setRowCount(ROWS);
      return new VectorUnloader(vsr).getRecordBatch();
    }
  }

  /** Puts a flight of {@code units} batches, optionally announcing {@code announced} units up front. */
  FlightSummary put(String path, int units, OptionalLong announced) {
    try (Upload upload = store.beginPut(path, SCHEMA, announced)) {
      for (int b = 0; b < units; b++) {
        upload.append(batch(b));
      }
      return upload.commit();
    }
  }

  FlightSummary put(String path, int units) {
    return put(path, units, OptionalLong.empty());
  }

  UsageLedger.Usage usage(String scopeKey) {
    return store.usageLedger().snapshot().entrySet().stream()
        .filter(e -> e.getKey().key().equals(scopeKey))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElse(new UsageLedger.Usage(0, 0, 0));
  }

  String size(long units) {
    return dev.hangar.config.Sizes.format(units * unit);
  }

  UsageLedger.Usage units(long ephemeral, long total, long flights) {
    return new UsageLedger.Usage(ephemeral * unit, total * unit, flights);
  }

  List<String> paths() {
    return store.list("").stream().map(FlightSummary::path).toList();
  }

  static final String MEMORY = "storage: {memory: {capacity: 64MiB}}\n";

  @Test
  void standardTotalQuotaRefusesThePutThatWouldExceedItAndStoresNothing() {
    start(MEMORY + """
        storageClasses:
          - {prefix: cache/, tiers: [{storage: memory}]}
          - {prefix: "", tiers: [{storage: memory}]}
        limitPolicies:
          - {type: standard, storageClasses: [cache/], total: 5U}
        """);
    put("cache/a", 2);
    put("cache/b", 2);
    put("other/x", 9); // not governed
    long before = store.tiers().get(StorageType.MEMORY).capacity().used();
    assertThatThrownBy(() -> put("cache/c", 2))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("Cannot store flight \"cache/c\": limitPolicies[0] (standard) scope \"cache/\" allows total %s; %s is in use"
            + " (%s of it this put's so far) and this put needs %s more (delete flights under cache/, or raise the limit)",
            size(5), size(5), size(1), size(1));
    assertThat(paths()).containsExactly("cache/a", "cache/b", "other/x");
    assertThat(usage("cache/")).isEqualTo(units(4, 4, 2));
    assertThat(store.tiers().get(StorageType.MEMORY).capacity().used()).isEqualTo(before);
    put("cache/c", 1); // exactly to the limit
    store.delete("cache/a");
    put("cache/c", 3); // an overwrite needs room only beyond the flight it replaces: 2 + 3 <= 5
    assertThat(usage("cache/")).isEqualTo(units(5, 5, 2));
    assertThatThrownBy(() -> put("cache/c", 4)) // 2 + 4 > 5
        .hasMessageEndingWith("this put needs %s more (beyond the %s of the flight it replaces) (delete flights under cache/, or raise"
            + " the limit)", size(1), size(3));
    assertThat(usage("cache/")).isEqualTo(units(5, 5, 2));
    assertThat(store.stats().limitScopes()).singleElement().satisfies(s -> {
      assertThat(s.scope()).isEqualTo("cache/");
      assertThat(s.total()).isEqualTo(5 * unit);
      assertThat(s.totalLimit()).isEqualTo(5 * unit);
      assertThat(s.ephemeralLimit()).isNull();
      assertThat(s.rejectedPuts()).isEqualTo(2);
      assertThat(s.flights()).isEqualTo(2);
    });
  }

  @Test
  void anAnnouncedSizeIsReservedBeforeAnyDataAndAStreamFailsTheMomentItExceeds() {
    start(MEMORY + """
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        limitPolicies: [{type: standard, storageClasses: [""], total: 5U}]
        """);
    assertThatThrownBy(() -> store.beginPut("x", SCHEMA, OptionalLong.of(6 * unit)))
        .isInstanceOf(QuotaExceededException.class).hasMessageContaining("this put needs " + dev.hangar.config.Sizes.format(6 * unit));
    Upload announced = store.beginPut("a", SCHEMA, OptionalLong.of(3 * unit));
    assertThat(usage("")).isEqualTo(units(0, 3, 1)); // reserved, not yet written
    assertThatThrownBy(() -> put("b", 3)).hasMessageContaining("this put needs " + dev.hangar.config.Sizes.format(unit) + " more");
    announced.append(batch(1));
    announced.commit(); // smaller than announced: the rest is released
    assertThat(usage("")).isEqualTo(units(1, 1, 1));
    // unknown size: charged batch by batch; the fifth batch breaks the quota
    try (Upload upload = store.beginPut("c", SCHEMA, OptionalLong.empty())) {
      for (int b = 0; b < 4; b++) {
        upload.append(batch(b));
      }
      assertThat(usage("")).isEqualTo(units(5, 5, 2));
      assertThatThrownBy(() -> upload.append(batch(9))).isInstanceOf(QuotaExceededException.class);
    }
    assertThat(usage("")).isEqualTo(units(1, 1, 1)); // what it wrote is released
    assertThat(paths()).containsExactly("a");
    // announced too small: growth past the announcement is checked too
    try (Upload upload = store.beginPut("d", SCHEMA, OptionalLong.of(unit))) {
      for (int b = 0; b < 4; b++) {
        upload.append(batch(b));
      }
      assertThatThrownBy(() -> upload.append(batch(9))).isInstanceOf(QuotaExceededException.class);
    }
    assertThat(usage("")).isEqualTo(units(1, 1, 1));
  }

  @Test
  void flightsQuotaCountsFlightsAndAnOverwriteNeedsNoSecond() {
    start(MEMORY + """
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        limitPolicies: [{type: segmented, storageClasses: [""], segment: 1, flights: 2}]
        """);
    put("t1/a", 1);
    put("t1/b", 1);
    put("t2/a", 1);
    assertThatThrownBy(() -> put("t1/c", 1))
        .hasMessage("Cannot store flight \"t1/c\": limitPolicies[0] (segmented) scope \"t1\" allows 2 flights and holds 2"
            + " (delete flights under t1, or raise the limit)");
    put("t1/a", 3); // overwrite
    assertThat(usage("t1")).isEqualTo(units(4, 4, 2));
    assertThat(store.deletePrefix("t1/")).isEqualTo(2);
    assertThat(usage("t1")).isEqualTo(units(0, 0, 0));
    put("t1/c", 1);
    assertThat(usage("t2")).isEqualTo(units(1, 1, 1));
  }

  @Test
  void hierarchicalEachTenantFiveTenant1TenOfWhichDataSource1Six() {
    start(MEMORY + """
        storageClasses: [{prefix: cache/, tiers: [{storage: memory}]}]
        limitPolicies:
          - type: hierarchical
            storageClasses: [cache/]
            levels: [tenant, dataSource]
            default: {total: 5U}
            overrides:
              tenant1: {total: 10U, children: {dataSource1: {total: 6U}}}
        """);
    put("cache/tenant2/s/a", 5);
    assertThatThrownBy(() -> put("cache/tenant2/t/b", 1)).hasMessageContaining("scope \"cache/tenant2\" allows total");
    put("cache/tenant3/s/a", 5); // every tenant has its own 5
    put("cache/tenant1/dataSource1/a", 6);
    assertThatThrownBy(() -> put("cache/tenant1/dataSource1/b", 1)).hasMessageContaining("scope \"cache/tenant1/dataSource1\" allows total");
    put("cache/tenant1/dataSource2/a", 4);
    assertThatThrownBy(() -> put("cache/tenant1/dataSource3/a", 1)).hasMessageContaining("scope \"cache/tenant1\" allows total");
    assertThat(usage("cache/tenant1")).isEqualTo(units(10, 10, 2));
    assertThat(usage("cache/tenant1/dataSource1")).isEqualTo(units(6, 6, 1));
    assertThat(usage("cache/tenant1/dataSource2")).isEqualTo(units(0, 0, 0)); // no limit there: not a scope
    assertThat(store.scopesOf("cache/tenant1/dataSource1/x")).extracting(Scope::key)
        .containsExactly("cache/tenant1", "cache/tenant1/dataSource1");
  }

  @Test
  void aSegmentedEphemeralScopeEvictsInsideItselfOnlyByPriorityAndRecency() {
    start(MEMORY + """
        storageClasses:
          - {prefix: cache/, tiers: [{storage: memory}]}
          - {prefix: cache/pinned/, tiers: [{storage: memory, priority: 9}]}
        limitPolicies:
          - {type: segmented, storageClasses: [cache/], segment: 1, ephemeral: 3U}
        """);
    put("cache/postgres/a", 1);
    put("cache/postgres/b", 1);
    put("cache/postgres/c", 1);
    put("cache/snowflake/a", 3);
    clock.advance(Duration.ofSeconds(1));
    try (FlightLease read = store.open("cache/postgres/a")) { // a is now the most recently used
      assertThat(read.summary().path()).isEqualTo("cache/postgres/a");
    }
    put("cache/postgres/d", 1); // evicts b, the least recently used
    assertThat(paths()).containsExactly("cache/postgres/a", "cache/postgres/c", "cache/postgres/d", "cache/snowflake/a");
    leases.add(store.open("cache/postgres/c")); // being read: cannot go
    put("cache/postgres/e", 2); // evicts a and d (c is read)
    assertThat(paths()).containsExactly("cache/postgres/c", "cache/postgres/e", "cache/snowflake/a");
    assertThat(usage("cache/postgres")).isEqualTo(units(3, 3, 2));
    assertThat(usage("cache/snowflake")).isEqualTo(units(3, 3, 1)); // its sibling untouched
    assertThatThrownBy(() -> put("cache/postgres/f", 4)) // evicts e, then c is being read
        .isInstanceOf(EphemeralLimitException.class)
        .hasMessage("Cannot store flight \"cache/postgres/f\": limitPolicies[0] (segmented) scope \"cache/postgres\" allows ephemeral %s;"
            + " flights being read or written there (or waiting for their durable copy) hold %s, %s of it this put's, and this put"
            + " needs %s more (retry when they finish, or raise the limit)",
            size(3), size(3), size(2), size(1));
    assertThat(paths()).containsExactly("cache/postgres/c", "cache/snowflake/a");
    assertThatThrownBy(() -> put("cache/postgres/g", 4, OptionalLong.of(4 * unit)))
        .isInstanceOf(EphemeralLimitException.class)
        .hasMessage("Cannot store flight \"cache/postgres/g\": it is larger than limitPolicies[0] (segmented) scope \"cache/postgres\""
            + " allows in this node's tiers (ephemeral %s)", size(3));
    assertThat(paths()).as("announced too large: fails before evicting anything").containsExactly("cache/postgres/c", "cache/snowflake/a");
    // a more specific class under the same policy's class list is not in the policy: cache/pinned/ is its own class
    put("cache/pinned/x", 5);
    assertThat(store.stats().limitScopes()).filteredOn(s -> s.scope().equals("cache/postgres")).singleElement()
        .satisfies(s -> assertThat(s.evictions()).isEqualTo(4));
  }

  @Test
  void severalPoliciesOnOneClassMustAllAdmitAPut() {
    start(MEMORY + """
        storageClasses: [{prefix: cache/, tiers: [{storage: memory}]}]
        limitPolicies:
          - {type: standard, storageClasses: [cache/], total: 8U}
          - {type: segmented, storageClasses: [cache/], segment: 1, total: 5U}
          - {type: segmented, storageClasses: [cache/], segment: 2, flights: 1}
        """);
    put("cache/a/x/1", 4);
    assertThatThrownBy(() -> put("cache/a/y/1", 2)).hasMessageContaining("limitPolicies[1] (segmented) scope \"cache/a\"");
    put("cache/b/x/1", 1);
    assertThatThrownBy(() -> put("cache/b/x/2", 1)).hasMessageContaining("limitPolicies[2] (segmented) scope \"cache/b/x\"");
    put("cache/c/x/1", 3);
    assertThatThrownBy(() -> put("cache/d/x/1", 1)).hasMessageContaining("limitPolicies[0] (standard) scope \"cache/\"");
    assertThat(paths()).containsExactly("cache/a/x/1", "cache/b/x/1", "cache/c/x/1");
  }

  @Test
  void ttlExpiryAndCapacityEvictionReleaseAndSpillChangesNothing() {
    start("""
        storage:
          memory: {capacity: 13W}
          disk: {path: "${DIR}/disk", capacity: 64MiB}
        storageClasses:
          - {prefix: ttl/, ttl: 1m, tiers: [{storage: memory}]}
          - {prefix: spill/, tiers: [{storage: memory, evictionSpill: true}, {storage: disk}]}
          - {prefix: drop/, tiers: [{storage: memory}]}
        limitPolicies:
          - {type: standard, storageClasses: [ttl/, spill/, drop/], total: 64U, flights: 100}
        """);
    put("ttl/a", 2);
    clock.advance(Duration.ofMinutes(2));
    assertThat(store.expireDue()).isEqualTo(1);
    assertThat(usage("ttl/, spill/, drop/")).isEqualTo(units(0, 0, 0));
    put("spill/a", 6);
    FlightSummary first = store.info("spill/a");
    assertThat(first.storageType()).isEqualTo(StorageType.MEMORY);
    for (int i = 0; i < 12; i++) { // memory holds two such flights: these push spill/a down to disk, then drop each other
      put("drop/" + i, 6);
    }
    assertThat(store.info("spill/a").storageType()).isEqualTo(StorageType.DISK);
    int dropped = 12 - (int) paths().stream().filter(p -> p.startsWith("drop/")).count();
    assertThat(dropped).isPositive();
    long kept = paths().size();
    assertThat(usage("ttl/, spill/, drop/")).isEqualTo(units(6 * kept, 6 * kept, kept)); // spilled still counts; dropped do not
  }

  @Test
  void racingUploadsNeverTakeMoreThanTheQuota() throws Exception {
    start(MEMORY + """
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        limitPolicies: [{type: standard, storageClasses: [""], total: 20U}]
        """);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (boolean announce : new boolean[] {true, false}) {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> puts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
          String path = (announce ? "announced/" : "streamed/") + i;
          puts.add(pool.submit(() -> {
            go.await();
            try {
              put(path, 3, announce ? OptionalLong.of(3 * unit) : OptionalLong.empty());
              return true;
            } catch (QuotaExceededException e) {
              return false;
            }
          }));
        }
        go.countDown();
        int admitted = 0;
        for (Future<Boolean> f : puts) {
          admitted += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(store.quotaProblems()).isEmpty();
        UsageLedger.Usage u = usage("");
        assertThat(u.total()).isLessThanOrEqualTo(20 * unit).isEqualTo(3 * unit * admitted);
        assertThat(admitted).isPositive();
        if (announce) {
          assertThat(admitted).as("reserved up front, all or nothing: exactly 6 fit").isEqualTo(6);
        }
        store.deletePrefix("");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentPutsOverwritesDeletesReadsEvictionsAndExpiryKeepTheLedgerExact() throws Exception {
    java.nio.file.Files.createDirectories(dir.resolve("durable"));
    start("""
        storage: {memory: {capacity: 24W}}
        durableStores: [{id: local, type: filesystem, path: "${DIR}/durable"}]
        storageClasses:
          - {prefix: c/, ttl: 2m, tiers: [{storage: memory}]}
          - {prefix: d/, durability: strong, durableStore: local, tiers: [{storage: memory}]}
        limitPolicies:
          - {type: segmented, storageClasses: [c/, d/], segment: 1, ephemeral: 6U, total: 10U, flights: 4}
          - {type: standard, storageClasses: [c/, d/], total: 30U}
        """);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    java.util.concurrent.atomic.AtomicInteger stored = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        long seed = t;
        workers.add(pool.submit(() -> {
          java.util.Random random = new java.util.Random(seed);
          for (int i = 0; i < 150; i++) {
            String path = (random.nextBoolean() ? "c/" : "d/") + "s" + random.nextInt(3) + "/f" + random.nextInt(4);
            int op = random.nextInt(10);
            try {
              if (op < 5) {
                int units = 1 + random.nextInt(3);
                put(path, units, random.nextBoolean() ? OptionalLong.of(units * unit) : OptionalLong.empty());
                stored.incrementAndGet();
              } else if (op < 7) {
                store.delete(path);
              } else if (op < 9) {
                try (FlightLease read = store.open(path); BatchCursor cursor = BatchCursor.of(read.flight());
                    VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
                  while (cursor.loadNext(vsr)) {
                    // read (or restore) it whole
                  }
                }
              } else {
                clock.advance(Duration.ofSeconds(20));
                store.expireDue();
              }
            } catch (QuotaExceededException | EphemeralLimitException | InsufficientCapacityException e) {
              refused.incrementAndGet();
            } catch (FlightNotFoundException e) {
              // deleted, evicted (c/) or expired meanwhile
            }
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(stored.get()).isPositive();
    assertThat(refused.get()).isPositive();
    assertThat(store.quotaProblems()).isEmpty(); // and again after this test
    // every counted flight is visible, and every visible flight counted
    Map<String, UsageLedger.Held> held = store.usageLedger().flights();
    assertThat(held.keySet()).containsExactlyInAnyOrderElementsOf(paths());
  }

  @Test
  void concurrentPutsIntoAFullEphemeralScopeEvictEachOtherAndAllSucceed() throws Exception {
    start(MEMORY + """
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        limitPolicies: [{type: segmented, storageClasses: [""], segment: 1, ephemeral: 10U}]
        """);
    for (int i = 0; i < 10; i++) {
      put("s/resident/" + i, 1);
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        workers.add(pool.submit(() -> {
          for (int i = 0; i < 40; i++) {
            put("s/new/" + thread + "-" + i, 1); // nothing is read: eviction must always make room
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(usage("s").ephemeral()).isLessThanOrEqualTo(10 * unit);
    assertThat(paths()).hasSize(10);
  }

  @Test
  void durableFlightsKeepTheirTotalOutOfTiersAndAcrossARestart() throws Exception {
    String yaml = """
        storage: {memory: {capacity: 64MiB}}
        durableStores: [{id: local, type: filesystem, path: "${DIR}/durable"}]
        storageClasses:
          - {prefix: "", durability: strong, durableStore: local, tiers: [{storage: memory}]}
        limitPolicies:
          - {type: segmented, storageClasses: [""], segment: 1, total: 6U, flights: 3, ephemeral: 4U}
        """;
    java.nio.file.Files.createDirectories(dir.resolve("durable"));
    start(yaml);
    put("t/a", 2);
    put("t/b", 2);
    put("t/c", 2); // evicts a from the node's tiers (ephemeral 4U); its durable copy still counts
    assertThat(usage("t")).isEqualTo(units(4, 6, 3));
    assertThat(store.info("t/a").storageType()).isNull(); // only durable
    assertThatThrownBy(() -> put("t/d", 1)).hasMessageContaining("scope \"t\" allows 3 flights and holds 3");
    try (FlightLease read = store.open("t/a"); BatchCursor cursor = BatchCursor.of(read.flight());
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, ingest)) {
      while (cursor.loadNext(root)) {
        // restoring: evicts b to make room
      }
    }
    assertThat(store.info("t/a").storageType()).isEqualTo(StorageType.MEMORY);
    assertThat(usage("t")).isEqualTo(units(4, 6, 3));

    start(yaml); // a restart: nothing in tiers, every flight in the store
    assertThat(usage("t")).isEqualTo(units(0, 0, 0));
    assertThat(store.recoverUsage()).isEqualTo(3);
    UsageLedger.Usage recovered = usage("t");
    assertThat(recovered.flights()).isEqualTo(3);
    assertThat(recovered.total()).as("object sizes: a little more than the body bytes").isBetween(6 * unit, 6 * unit + 3 * 4096);
    assertThatThrownBy(() -> put("t/d", 1)).isInstanceOf(QuotaExceededException.class).hasMessageContaining("scope \"t\" allows");
    store.delete("t/a");
    assertThat(usage("t").flights()).isEqualTo(2);
    put("t/d", 1);
    assertThat(usage("t").total()).isLessThanOrEqualTo(6 * unit);
  }

  @Test
  void aDurableFlightRecoveredAfterARestartStopsCountingWhenItExpires() throws Exception {
    String yaml = """
        storage: {memory: {capacity: 64MiB}}
        durableStores: [{id: local, type: filesystem, path: "${DIR}/durable"}]
        storageClasses:
          - {prefix: "", durability: strong, durableStore: local, ttl: 1h, tiers: [{storage: memory}]}
        limitPolicies: [{type: standard, storageClasses: [""], flights: 5}]
        """;
    java.nio.file.Files.createDirectories(dir.resolve("durable"));
    clock.set(java.time.Instant.now());
    start(yaml);
    put("a", 1);
    start(yaml);
    assertThat(store.recoverUsage()).isEqualTo(1);
    clock.advance(Duration.ofMinutes(59));
    store.expireDue();
    assertThat(usage("").flights()).isEqualTo(1);
    clock.advance(Duration.ofMinutes(2));
    store.expireDue();
    assertThat(usage("").flights()).isZero();
  }
}
