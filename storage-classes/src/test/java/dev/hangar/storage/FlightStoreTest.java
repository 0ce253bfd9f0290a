package dev.hangar.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.Durability;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.config.UploadSpill;
import dev.hangar.tiers.BatchCursor;
import dev.hangar.tiers.memory.MemoryTier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The store over a real memory tier; after every test, accounting is checked and nothing may leak. */
class FlightStoreTest {
  static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
  private static final int ROWS = 1000;

  private final RootAllocator root = new RootAllocator();
  private final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
  private final MutableClock clock = new MutableClock();
  private final List<FlightLease> leases = new ArrayList<>();
  private MemoryTier tier;
  private FlightStore store;

  /** The bytes one {@link #ROWS}-row flight weighs in the memory tier. */
  private long flightSize() {
    FlightStore probe = build(1L << 30, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    long size = put(probe, "probe", 0).bytes();
    assertThat(size).isPositive();
    probe.close();
    return size;
  }

  private FlightStore build(long capacity, StorageClassConfig... classes) {
    tier = new MemoryTier(root, capacity);
    store = new FlightStore(List.of(classes), Map.of(StorageType.MEMORY, tier), clock);
    return store;
  }

  private static TierConfig memory(int priority) {
    return new TierConfig(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, priority, false, Optional.empty(), Optional.empty());
  }

  private FlightSummary put(FlightStore s, String path, long firstValue) {
    try (Upload upload = s.beginPut(path, SCHEMA, OptionalLong.empty())) {
      upload.append(batch(firstValue));
      return upload.commit();
    }
  }

  private org.apache.arrow.vector.ipc.message.ArrowRecordBatch batch(long firstValue) {
    return longs(ingest, ROWS, firstValue);
  }

  /** A batch of one int64 column "v" holding {@code first}, {@code first + 1}, … */
  static org.apache.arrow.vector.ipc.message.ArrowRecordBatch longs(BufferAllocator allocator, int rows, long first) {
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, allocator)) {
      BigIntVector v = (BigIntVector) vsr.getVector(0);
      v.allocateNew(rows);
      for (int i = 0; i < rows; i++) {
        v.set(i, first + i);
      }
      vsr.setRowCount(rows);
      return new VectorUnloader(vsr).getRecordBatch();
    }
  }

  /** The first value of every batch of the flight at {@code path}, read through a lease. */
  private List<Long> read(String path) {
    try (FlightLease lease = store.open(path)) {
      return readAll(lease);
    }
  }

  private List<Long> readAll(FlightLease lease) {
    List<Long> firsts = new ArrayList<>();
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
        BatchCursor cursor = BatchCursor.of(lease.cursor(), lease.summary().schema())) {
      while (cursor.loadNext(vsr)) {
        assertThat(vsr.getRowCount()).isEqualTo(ROWS);
        firsts.add(((BigIntVector) vsr.getVector(0)).get(0));
      }
    }
    return firsts;
  }

  private FlightLease hold(String path) {
    FlightLease lease = store.open(path);
    leases.add(lease);
    return lease;
  }

  @AfterEach
  void checkInvariantsAndClose() {
    leases.forEach(FlightLease::close);
    if (store != null) {
      StoreStats stats = store.stats();
      long classBytes = stats.storageClasses().stream().mapToLong(StoreStats.ClassStats::bytes).sum();
      long classFlights = stats.storageClasses().stream().mapToLong(StoreStats.ClassStats::flights).sum();
      assertThat(tier.capacity().used()).as("capacity used = sum of committed flights").isEqualTo(classBytes);
      assertThat(tier.heldBytes()).as("allocator = capacity used").isEqualTo(tier.capacity().used());
      assertThat(tier.capacity().used()).isLessThanOrEqualTo(tier.capacity().limit());
      assertThat(stats.storageTypes().get(0).flights()).isEqualTo(classFlights);
      assertThat(store.list("")).hasSize((int) classFlights);
      store.close();
    }
    ingest.close();
    root.close(); // fails if any buffer leaked
  }

  @Test
  void putThenReadBackAndDescribe() {
    build(64L << 20, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    FlightSummary s = put(store, "a/b", 5);
    assertThat(s.path()).isEqualTo("a/b");
    assertThat(s.rows()).isEqualTo(ROWS);
    assertThat(s.storageType()).isEqualTo(StorageType.MEMORY);
    assertThat(s.bodyBytes()).isEqualTo(ROWS * 8 + 128); // validity (125 -> 128 aligned) + data
    assertThat(read("a/b")).containsExactly(5L);
    assertThat(store.info("a/b").rows()).isEqualTo(ROWS);
    StoreStats.ClassStats cls = store.stats().storageClasses().get(0);
    assertThat(cls.hits()).isEqualTo(1);
    assertThat(cls.puts()).isEqualTo(1);
  }

  @Test
  void evictsLowestPriorityFirstThenLeastRecentlyUsed() {
    long size = flightSize();
    build(3 * size, StorageClassConfig.ephemeral("low/", memory(0)), StorageClassConfig.ephemeral("high/", memory(10)));
    put(store, "low/a", 0);
    put(store, "high/b", 0);
    put(store, "low/c", 0);
    read("low/a"); // a is now more recently used than c

    put(store, "low/d", 0);
    assertThat(paths()).containsExactly("high/b", "low/a", "low/d");
    put(store, "high/e", 0);
    assertThat(paths()).containsExactly("high/b", "high/e", "low/d");
    put(store, "high/f", 0);
    assertThat(paths()).containsExactly("high/b", "high/e", "high/f");
    read("high/b");
    put(store, "high/g", 0); // among equals, the least recently used: e
    assertThat(paths()).containsExactly("high/b", "high/f", "high/g");

    StoreStats stats = store.stats();
    assertThat(stats.storageTypes().get(0).evictions()).isEqualTo(4);
    assertThat(stats.storageClasses()).extracting(StoreStats.ClassStats::evictions).containsExactly(3L, 1L); // low/c, low/a, low/d; high/e
    assertThat(stats.storageClasses().get(0).misses()).isZero();
  }

  @Test
  void neverEvictsAFlightBeingRead() {
    long size = flightSize();
    build(2 * size, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    put(store, "a", 1);
    put(store, "b", 2);
    hold("a");
    hold("b");
    assertThatThrownBy(() -> put(store, "c", 3))
        .isInstanceOf(InsufficientCapacityException.class)
        .hasMessageMatching("Cannot store flight \"c\": storage memory has no room for .* more \\(capacity .*, in use .*, and every flight left in it is being read or written\\)");
    assertThat(paths()).containsExactly("a", "b");
    assertThat(tier.capacity().used()).isEqualTo(2 * size);

    leases.remove(0).close(); // a is free to go
    put(store, "c", 3);
    assertThat(paths()).containsExactly("b", "c");
    assertThat(read("c")).containsExactly(3L);
  }

  @Test
  void overwriteKeepsTheOldCopyForItsReadersAndCountsBoth() {
    long size = flightSize();
    build(4 * size, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    put(store, "a", 100);
    FlightLease old = hold("a");
    FlightSummary replaced = put(store, "a", 200);
    assertThat(replaced.version()).isGreaterThan(old.summary().version());
    assertThat(read("a")).containsExactly(200L);
    assertThat(readAll(old)).containsExactly(100L);
    assertThat(tier.capacity().used()).as("old copy still read").isEqualTo(2 * size);
    assertThat(store.stats().storageClasses().get(0).flights()).isEqualTo(1);
    leases.remove(old);
    old.close();
    assertThat(tier.capacity().used()).isEqualTo(size);
  }

  @Test
  void deleteWhileReadingLetsTheReaderFinish() {
    build(64L << 20, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    put(store, "a", 7);
    FlightLease lease = hold("a");
    assertThat(store.delete("a").path()).isEqualTo("a");
    assertThatThrownBy(() -> store.open("a")).isInstanceOf(FlightNotFoundException.class).hasMessage("Flight \"a\" not found");
    assertThatThrownBy(() -> store.delete("a")).isInstanceOf(FlightNotFoundException.class);
    assertThat(readAll(lease)).containsExactly(7L);
    assertThat(tier.capacity().used()).isPositive();
    leases.remove(lease);
    lease.close();
    assertThat(tier.capacity().used()).isZero();
    assertThat(store.stats().storageClasses().get(0).misses()).isEqualTo(1);
  }

  @Test
  void ttlCountsFromCommitAndExpiredFlightsAreInvisibleAtOnce() {
    StorageClassConfig cls = new StorageClassConfig(
        "tmp/", Durability.NONE, Optional.empty(), "", Optional.of(Duration.ofMinutes(1)), 1, List.of(TierConfig.of(StorageType.MEMORY)));
    build(64L << 20, cls);
    Instant committed = clock.instant();
    FlightSummary s = put(store, "tmp/x", 0);
    assertThat(s.expiresAt()).contains(committed.plus(Duration.ofMinutes(1)));
    clock.advance(Duration.ofSeconds(59));
    assertThat(read("tmp/x")).hasSize(1);
    clock.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> store.info("tmp/x")).isInstanceOf(FlightNotFoundException.class);
    assertThat(store.list("")).isEmpty();
    assertThat(tier.capacity().used()).as("invisible at once, freed by the sweep").isPositive();
    assertThat(store.expireDue()).isEqualTo(1);
    assertThat(tier.capacity().used()).isZero();
    assertThat(store.stats().storageClasses().get(0).expirations()).isEqualTo(1);
  }

  @Test
  void abortedUploadLeavesNothing() {
    build(64L << 20, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    Upload upload = store.beginPut("a", SCHEMA, OptionalLong.empty());
    upload.append(batch(0));
    upload.append(batch(1));
    assertThat(tier.capacity().used()).isPositive();
    upload.abort();
    assertThat(tier.capacity().used()).isZero();
    assertThat(tier.allocatedBytes()).isZero();
    assertThatThrownBy(() -> store.info("a")).isInstanceOf(FlightNotFoundException.class);
    assertThat(store.stats().storageClasses().get(0).rejectedPuts()).isEqualTo(1);
  }

  @Test
  void uploadOutgrowingMaxFlightSizeFails() {
    long size = flightSize();
    TierConfig capped = new TierConfig(StorageType.MEMORY, size + size / 2, UploadSpill.REJECT, 0, false, Optional.empty(), Optional.empty());
    build(64L << 20, StorageClassConfig.ephemeral("small/", capped));
    try (Upload upload = store.beginPut("small/x", SCHEMA, OptionalLong.empty())) {
      upload.append(batch(0));
      assertThatThrownBy(() -> upload.append(batch(1)))
          .isInstanceOf(FlightTooLargeException.class)
          .hasMessageStartingWith("Cannot store flight \"small/x\": it outgrew maxFlightSize ")
          .hasMessageEndingWith(" of tier memory in storage class \"small/\" (uploadSpill: reject)");
    }
    assertThat(tier.capacity().used()).isZero();
  }

  @Test
  void expectedSizeLargerThanEveryTierFailsBeforeAnyByte() {
    build(1L << 20, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    assertThatThrownBy(() -> store.beginPut("a", SCHEMA, OptionalLong.of(2L << 20)))
        .isInstanceOf(FlightTooLargeException.class)
        .hasMessage("Cannot store flight \"a\" of 2MiB: it is larger than every tier of storage class \"\" admits (memory: no maxFlightSize, capacity 1MiB)");
  }

  @Test
  void pathWithoutStorageClassIsRejected() {
    build(1L << 20, StorageClassConfig.ephemeral("cache/", TierConfig.of(StorageType.MEMORY)));
    assertThatThrownBy(() -> store.beginPut("other/x", SCHEMA, OptionalLong.empty()))
        .isInstanceOf(NoStorageClassException.class)
        .hasMessage("Cannot store flight \"other/x\": no storage class prefix matches it (add a class for it, or one with prefix \"\")");
    assertThatThrownBy(() -> store.open("other/x")).isInstanceOf(FlightNotFoundException.class);
  }

  @Test
  void listAndDeleteByPrefix() {
    build(64L << 20, StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY)));
    for (String p : List.of("cache/t1/a", "cache/t1/b", "cache/t10/a", "cache/t2/a", "other")) {
      put(store, p, 0);
    }
    assertThat(store.list("cache/t1")).extracting(FlightSummary::path).containsExactly("cache/t1/a", "cache/t1/b", "cache/t10/a");
    assertThat(store.list("cache/t1/")).extracting(FlightSummary::path).containsExactly("cache/t1/a", "cache/t1/b");
    assertThat(store.deletePrefix("cache/t1/")).isEqualTo(2);
    assertThat(paths()).containsExactly("cache/t10/a", "cache/t2/a", "other");
    assertThat(store.stats().storageClasses().get(0).deletions()).isEqualTo(2);
  }

  private List<String> paths() {
    return store.list("").stream().map(FlightSummary::path).toList();
  }

  /** A clock tests move by hand. */
  static final class MutableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
