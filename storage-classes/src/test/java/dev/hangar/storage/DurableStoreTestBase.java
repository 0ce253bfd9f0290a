package dev.hangar.storage;

import dev.hangar.storage.durability.Durables;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.Durability;
import dev.hangar.config.DurableStoreConfig;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.tiers.BatchCursor;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.durable.DurableFileReader;
import dev.hangar.tiers.durable.DurableStore;
import dev.hangar.tiers.durable.DurableStoreException;
import dev.hangar.tiers.memory.MemoryTier;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The flight store with durable classes over a real durable store (each subclass picks one): strong,
 * weak and none, restore after eviction and after a "restart" (a new store over the same durable
 * data), outages, lifecycle. Outages are injected by {@link Outage}, which wraps the real store.
 */
abstract class DurableStoreTestBase {
  static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
  static final int ROWS = 1000;
  static final dev.hangar.tiers.ipc.FlightSchema JAVA_SCHEMA = dev.hangar.tiers.ipc.JavaMessages.schema(SCHEMA);

  final RootAllocator root = new RootAllocator();
  final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
  final FlightStoreTest.MutableClock clock = new FlightStoreTest.MutableClock();
  MemoryTier tier;
  FlightStore store;
  Outage outage;

  /** A fresh durable store over the same data each call (as a restart would open it). */
  abstract DurableStore openDurable();

  abstract DurableStoreConfig config();

  /** Flights of 4 batches weigh ~32 KiB; capacity in flights. */
  FlightStore start(int flightsOfCapacity, Durability durability, Optional<Duration> ttl) {
    if (store != null) {
      store.close();
    }
    outage = new Outage(openDurable());
    tier = new MemoryTier(root, flightsOfCapacity * 40_000L);
    StorageClassConfig cls = new StorageClassConfig("", durability,
        durability == Durability.NONE ? Optional.empty() : Optional.of(config().id()), "hangar/test", ttl, 1,
        List.of(TierConfig.of(StorageType.MEMORY)));
    Durables durables = new Durables(List.of(config()), Map.of(config().id(), outage), root.newChildAllocator("durable", 0, Long.MAX_VALUE));
    store = new FlightStore(List.of(cls), Map.<StorageType, Tier>of(StorageType.MEMORY, tier), durables, clock);
    return store;
  }

  FlightSummary put(String path, long first) {
    try (Upload upload = store.beginPut(path, SCHEMA, OptionalLong.empty())) {
      for (int b = 0; b < 4; b++) {
        upload.append(batch(first + b * ROWS));
      }
      return upload.commit();
    }
  }

  ArrowRecordBatch batch(long first) {
    return FlightStoreTest.longs(ingest, ROWS, first);
  }

  /** Sum of all values of the flight: 4000 consecutive values from {@code first}. */
  static long expectedSum(long first) {
    long n = 4 * ROWS;
    return n * first + n * (n - 1) / 2;
  }

  long readSum(String path) {
    try (FlightLease lease = store.open(path);
        VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
        BatchCursor cursor = BatchCursor.of(lease.cursor(), lease.summary().schema())) {
      long sum = 0;
      while (cursor.loadNext(vsr)) {
        BigIntVector v = (BigIntVector) vsr.getVector(0);
        for (int i = 0; i < vsr.getRowCount(); i++) {
          sum += v.get(i);
        }
      }
      return sum;
    }
  }

  StoreStats.ClassStats stats() {
    return store.stats().storageClasses().get(0);
  }

  boolean durableExists(String path) {
    return outage.delegate.head("hangar/test/" + path + ".arrow").isPresent();
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
      assertThat(tier.allocatedBytes()).isZero();
    }
    ingest.close();
    root.close(); // a leaked buffer fails the test
  }

  static void await(java.util.function.BooleanSupplier condition, String what) {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting until " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  // ---- strong -----------------------------------------------------------------------------

  @Test
  void strongPutIsDurableBeforeItIsAcknowledged() throws IOException {
    start(10, Durability.STRONG, Optional.empty());
    FlightSummary s = put("cache/t1/a", 100);
    assertThat(s.durableCopy()).isEqualTo("stored");
    assertThat(stats().durableWrites()).isEqualTo(1);
    try (InputStream in = outage.delegate.read("hangar/test/cache/t1/a.arrow").orElseThrow();
        DurableFileReader r = new DurableFileReader(in, ingest, java.util.Map.of())) {
      int batches = 0;
      for (dev.hangar.tiers.ipc.Message m = r.next(); m != null; m = r.next()) {
        m.close();
        batches++;
      }
      assertThat(batches).isEqualTo(4);
      assertThat(r.metadata().path()).isEqualTo("cache/t1/a");
      assertThat(r.metadata().rows()).isEqualTo(4000);
      assertThat(r.metadata().committedAt()).isEqualTo(s.committedAt());
    }
  }

  @Test
  void aPathTheStoreCannotNameIsRefusedBeforeTheUpload() {
    start(10, Durability.WEAK, Optional.empty());
    // 1024 bytes, a valid flight path: too long an S3 key under a prefix, and its last segment
    // plus ".arrow" too long a file name
    String path = "p/" + "x".repeat(250) + "/" + "y".repeat(250) + "/" + "z".repeat(250) + "/" + "v".repeat(18) + "/" + "w".repeat(250);
    assertThat(path.length()).isEqualTo(1024);
    FlightPath.validate(path);
    assertThatThrownBy(() -> store.beginPut(path, SCHEMA, OptionalLong.empty()))
        .isInstanceOf(InvalidFlightPathException.class)
        .hasMessageStartingWith("Cannot store flight \"" + path + "\" durably (storage class \"\"): ");
    assertThat(store.stats().weakPending()).isZero();
    assertThat(tier.capacity().used()).isZero();
  }

  @Test
  void aFailedStrongWriteFailsThePutAndLeavesNothing() {
    start(10, Durability.STRONG, Optional.empty());
    outage.down = true;
    assertThatThrownBy(() -> put("cache/x", 1))
        .isInstanceOf(DurableStoreUnavailableException.class)
        .hasMessageStartingWith("Cannot store flight \"cache/x\" durably (storage class \"\"): " + outage.describe() + ": injected outage");
    assertThat(tier.capacity().used()).isZero();
    assertThat(stats().rejectedPuts()).isEqualTo(1);
    assertThat(store.list("")).isEmpty(); // the catalog answers during an outage: nothing was committed
    outage.down = false;
    assertThat(store.list("")).isEmpty();
    assertThatThrownBy(() -> store.info("cache/x")).isInstanceOf(FlightNotFoundException.class);
    assertThat(durableExists("cache/x")).isFalse();
  }

  @Test
  void evictedDurableFlightsAreRestoredOnTheirNextRead() {
    start(3, Durability.STRONG, Optional.empty());
    for (int i = 0; i < 6; i++) {
      put("f" + i, i * 10_000L);
    }
    assertThat(store.stats().storageTypes().get(0).evictions()).isGreaterThan(0);
    for (int i = 0; i < 6; i++) {
      assertThat(readSum("f" + i)).isEqualTo(expectedSum(i * 10_000L));
    }
    assertThat(stats().restores()).isGreaterThanOrEqualTo(3);
    assertThat(store.info("f0").rows()).isEqualTo(4000);
  }

  @Test
  void afterARestartDurableFlightsAreListedDescribedAndRead() {
    start(10, Durability.STRONG, Optional.empty());
    put("a/one", 1);
    put("a/two", 2);
    put("b/three", 3);
    FlightSummary before = store.info("a/two");
    start(10, Durability.STRONG, Optional.empty()); // restart: empty tiers, same durable store
    assertThat(outage.calls).as("starting reads nothing from the store").isZero();
    assertThat(store.stats().storageTypes().get(0).flights()).isZero();
    assertThat(store.list("a/")).extracting(FlightSummary::path).containsExactly("a/one", "a/two");
    assertThat(store.list("")).hasSize(3);
    FlightSummary info = store.info("a/two");
    assertThat(info.location()).isEqualTo("durable");
    assertThat(info.rows()).isEqualTo(4000);
    assertThat(info.schema().javaSchema()).isEqualTo(SCHEMA);
    assertThat(info.committedAt()).isEqualTo(before.committedAt());
    assertThat(readSum("a/two")).isEqualTo(expectedSum(2));
    assertThat(store.info("a/two").location()).isEqualTo("memory");
    assertThat(stats().restores()).isEqualTo(1);
    assertThatThrownBy(() -> store.open("a/none")).isInstanceOf(FlightNotFoundException.class);
  }

  /**
   * After a restart the background indexing lists the store, then reads each footer it found:
   * from then on a listing needs the store for nothing, and is whole during an outage.
   */
  @Test
  void backgroundIndexingReadsTheFootersSoListingsNeedNoStore() {
    start(10, Durability.STRONG, Optional.empty());
    put("a/one", 1);
    put("a/two", 2);
    start(10, Durability.STRONG, Optional.empty()); // restart: empty tiers, same durable store
    assertThat(store.indexDurable()).as("footers read").isEqualTo(2);
    outage.down = true;
    assertThat(store.list("a/")).allSatisfy(s -> {
      assertThat(s.isComplete()).as("%s listed with its footer", s.path()).isTrue();
      assertThat(s.rows()).isEqualTo(4000);
      assertThat(s.schema().javaSchema()).isEqualTo(SCHEMA);
    }).hasSize(2);
    outage.down = false;
  }

  @Test
  void withNoRoomInAnyTierARestoreStreamsFromTheStore() {
    start(10, Durability.STRONG, Optional.empty());
    put("big", 7);
    store.close();
    store = null;
    outage = new Outage(openDurable());
    tier = new MemoryTier(root, 4096); // smaller than the flight
    StorageClassConfig cls = new StorageClassConfig("", Durability.STRONG, Optional.of(config().id()), "hangar/test",
        Optional.empty(), 1, List.of(TierConfig.of(StorageType.MEMORY)));
    store = new FlightStore(List.of(cls), Map.<StorageType, Tier>of(StorageType.MEMORY, tier),
        new Durables(List.of(config()), Map.of(config().id(), outage), root.newChildAllocator("durable", 0, Long.MAX_VALUE)), clock);
    assertThat(readSum("big")).isEqualTo(expectedSum(7));
    assertThat(stats().durableReads()).isEqualTo(1);
    assertThat(stats().restores()).isZero();
    assertThat(tier.capacity().used()).isZero();
  }

  /** Reads up to {@code batches} batches of an open lease; returns the sum of their values. */
  long readSome(BatchCursor cursor, int batches) {
    long sum = 0;
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
      for (int b = 0; b < batches && cursor.loadNext(vsr); b++) {
        BigIntVector v = (BigIntVector) vsr.getVector(0);
        for (int i = 0; i < vsr.getRowCount(); i++) {
          sum += v.get(i);
        }
      }
    }
    return sum;
  }

  @Test
  void aReaderThatStopsEarlyLeavesNoRestoredCopy() {
    start(10, Durability.STRONG, Optional.empty());
    put("r", 1);
    start(10, Durability.STRONG, Optional.empty());
    try (FlightLease lease = store.open("r"); BatchCursor cursor = BatchCursor.of(lease.cursor(), lease.summary().schema())) {
      readSome(cursor, 2);
      assertThat(tier.capacity().used()).isPositive(); // restoring as it goes
    }
    assertThat(tier.capacity().used()).isZero();
    assertThat(store.info("r").location()).isEqualTo("durable");
    assertThat(readSum("r")).isEqualTo(expectedSum(1));
    assertThat(store.info("r").location()).isEqualTo("memory");
    assertThat(stats().restores()).isEqualTo(1);
  }

  @Test
  void aPutThatCommitsDuringARestoreWins() {
    start(10, Durability.STRONG, Optional.empty());
    put("k", 1);
    start(10, Durability.STRONG, Optional.empty());
    try (FlightLease lease = store.open("k"); BatchCursor cursor = BatchCursor.of(lease.cursor(), lease.summary().schema())) {
      long sum = readSome(cursor, 1);
      put("k", 500); // commits while the old version is being restored
      sum += readSome(cursor, 10);
      assertThat(sum).as("the reader finishes on the version it started").isEqualTo(expectedSum(1));
    }
    assertThat(stats().restores()).isZero(); // the restored copy was stale: dropped
    assertThat(readSum("k")).isEqualTo(expectedSum(500));
    start(10, Durability.STRONG, Optional.empty());
    assertThat(readSum("k")).isEqualTo(expectedSum(500));
  }

  @Test
  void aSecondReaderDuringARestoreStreamsFromTheStore() {
    start(10, Durability.STRONG, Optional.empty());
    put("two", 3);
    start(10, Durability.STRONG, Optional.empty());
    try (FlightLease first = store.open("two"); BatchCursor c1 = BatchCursor.of(first.cursor(), first.summary().schema())) {
      long sum = readSome(c1, 1);
      assertThat(readSum("two")).isEqualTo(expectedSum(3)); // while the first restores
      sum += readSome(c1, 10);
      assertThat(sum).isEqualTo(expectedSum(3));
    }
    assertThat(stats().restores()).isEqualTo(1);
    assertThat(stats().durableReads()).isEqualTo(1);
    assertThat(store.info("two").location()).isEqualTo("memory");
  }

  @Test
  void overwriteReplacesTheDurableCopy() {
    start(10, Durability.STRONG, Optional.empty());
    put("k", 1);
    put("k", 500);
    start(10, Durability.STRONG, Optional.empty());
    assertThat(readSum("k")).isEqualTo(expectedSum(500));
  }

  @Test
  void aCorruptDurableCopyIsReportedNotServed() throws IOException {
    start(10, Durability.STRONG, Optional.empty());
    put("c", 1);
    byte[] bytes;
    try (InputStream in = outage.delegate.read("hangar/test/c.arrow").orElseThrow()) {
      bytes = in.readAllBytes();
    }
    bytes[200] ^= 0x01; // inside the first batch's body
    try (DurableStore.ObjectUpload up = outage.delegate.create("hangar/test/c.arrow")) {
      up.stream().write(bytes);
      up.commit();
    }
    start(10, Durability.STRONG, Optional.empty());
    assertThatThrownBy(() -> readSum("c")).isInstanceOf(DurableDataException.class).hasMessageContaining("checksum mismatch");
    assertThat(tier.capacity().used()).isZero();
  }

  @Test
  void racingStrongPutsToOnePathLeaveTheStoreWithTheFlightCommittedLast() throws Exception {
    start(20, Durability.STRONG, Optional.empty());
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      for (int round = 0; round < 5; round++) {
        List<java.util.concurrent.Future<FlightSummary>> puts = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          long first = round * 100_000L + t * 10_000L;
          puts.add(pool.submit(() -> put("race", first)));
        }
        for (var f : puts) {
          f.get();
        }
        long inCatalog = readSum("race");
        start(20, Durability.STRONG, Optional.empty()); // what the store holds
        assertThat(readSum("race")).as("round %d", round).isEqualTo(inCatalog);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void aPendingWeakCopyNeverOverwritesANewerFlight() {
    start(10, Durability.WEAK, Optional.empty());
    outage.down = true;
    put("w", 1); // its copy waits for the store
    put("w", 2); // replaces it in the tier; the first copy must never land after this one
    outage.down = false;
    assertThat(store.flushWeak(Duration.ofSeconds(20))).isZero();
    start(10, Durability.WEAK, Optional.empty());
    assertThat(readSum("w")).isEqualTo(expectedSum(2));
  }

  // ---- lifecycle --------------------------------------------------------------------------

  @Test
  void deleteRemovesTheDurableCopyAndAFailedDeleteRemovesNothing() {
    start(10, Durability.STRONG, Optional.empty());
    put("d/1", 1);
    put("d/2", 2);
    put("d/3", 3);
    outage.down = true;
    assertThatThrownBy(() -> store.delete("d/1")).isInstanceOf(DurableStoreUnavailableException.class);
    outage.down = false;
    assertThat(readSum("d/1")).isEqualTo(expectedSum(1));
    assertThat(store.delete("d/1").path()).isEqualTo("d/1");
    assertThat(durableExists("d/1")).isFalse();
    start(10, Durability.STRONG, Optional.empty()); // d/2 and d/3 only durable now
    assertThat(store.delete("d/2").location()).isEqualTo("durable");
    assertThatThrownBy(() -> store.delete("d/2")).isInstanceOf(FlightNotFoundException.class);
    assertThat(store.deletePrefix("d/")).isEqualTo(1);
    assertThat(store.list("")).isEmpty();
    assertThat(outage.delegate.list("")).isEmpty();
  }

  @Test
  void expiredFlightsVanishAndTheirDurableCopiesAreDeleted() {
    start(10, Durability.STRONG, Optional.of(Duration.ofMinutes(5)));
    put("t/1", 1);
    put("t/2", 2);
    put("u/3", 3);
    start(10, Durability.STRONG, Optional.of(Duration.ofMinutes(5)));
    readSum("t/1"); // t/1 back in a tier, t/2 only durable
    clock.advance(Duration.ofMinutes(6));
    assertThatThrownBy(() -> store.info("t/1")).isInstanceOf(FlightNotFoundException.class);
    assertThatThrownBy(() -> store.open("t/2")).isInstanceOf(FlightNotFoundException.class);
    assertThat(store.list("t/")).isEmpty();
    assertThat(store.expireDue()).isEqualTo(2); // t/1 in a tier, and t/2, which the listing put in the catalog
    await(() -> !durableExists("t/1") && !durableExists("t/2"), "the expired copies are deleted in the background");
    assertThat(durableExists("u/3")).isTrue(); // in no catalog: the sweep finds it
    // the sweep looks at objects whose modification time + TTL has passed (real time, not the test clock)
    clock.set(java.time.Instant.now().plus(Duration.ofMinutes(6)));
    assertThat(store.sweepDurable()).isEqualTo(1);
    assertThat(durableExists("u/3")).isFalse();
  }

  @Test
  void aReadOfADurableOnlyFlightCompletesWhileAStrongCommitOfItsPathIsStuck() throws Exception {
    start(10, Durability.STRONG, Optional.empty());
    put("s/1", 1);
    put("s/2", 2);
    start(10, Durability.STRONG, Optional.empty()); // a restart: both only durable
    outage.commitGate = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.ExecutorService background = java.util.concurrent.Executors.newCachedThreadPool();
    try {
      java.util.concurrent.Future<FlightSummary> stuck = background.submit(() -> put("s/1", 100));
      assertThat(outage.committing.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS)).as("the commit reached the store").isTrue();
      // the path's lock is held around the stuck call: a restore of the same path gives up caching instead of waiting
      assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> readSum("s/1"), background)
          .get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(expectedSum(1));
      assertThat(store.info("s/1").location()).isEqualTo("durable");
      assertThat(java.util.concurrent.CompletableFuture.supplyAsync(() -> store.list("s/").size(), background)
          .get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(2);
      assertThat(readSum("s/2")).isEqualTo(expectedSum(2)); // another path restores as usual
      assertThat(store.info("s/2").location()).isEqualTo("memory");
      assertThat(stuck.isDone()).isFalse();
      outage.commitGate.countDown();
      assertThat(stuck.get(10, java.util.concurrent.TimeUnit.SECONDS).location()).isEqualTo("memory");
      assertThat(readSum("s/1")).isEqualTo(expectedSum(100));
    } finally {
      outage.commitGate.countDown();
      background.shutdown();
    }
  }

  @Test
  void anIdempotencyKeyOfADurableFlightSurvivesARestart() {
    start(10, Durability.STRONG, Optional.empty());
    FlightSummary first;
    try (Upload upload = store.beginPut("k/1", JAVA_SCHEMA, OptionalLong.empty(), "load-42")) {
      upload.append(batch(1));
      first = upload.commit();
    }
    java.time.Instant written = outage.delegate.head("hangar/test/k/1.arrow").orElseThrow().lastModified();
    start(10, Durability.STRONG, Optional.empty()); // the key is known only from the object's footer now
    clock.advance(Duration.ofHours(1));
    try (Upload retry = store.beginPut("k/1", JAVA_SCHEMA, OptionalLong.empty(), "load-42")) {
      assertThat(retry.isReplay()).isTrue();
      retry.append(batch(500));
      FlightSummary again = retry.commit();
      assertThat(again.committedAt()).isEqualTo(first.committedAt());
      assertThat(again.rows()).isEqualTo(first.rows());
    }
    assertThat(stats().durableWrites()).isZero();
    assertThat(outage.delegate.head("hangar/test/k/1.arrow").orElseThrow().lastModified()).isEqualTo(written);
    clock.advance(Duration.ofHours(24)); // past the window: the same key is a new put
    try (Upload late = store.beginPut("k/1", JAVA_SCHEMA, OptionalLong.empty(), "load-42")) {
      assertThat(late.isReplay()).isFalse();
    }
  }

  // ---- weak -------------------------------------------------------------------------------

  @Test
  void weakPutsAreAcknowledgedAtOnceAndLandInTheBackground() {
    start(10, Durability.WEAK, Optional.empty());
    FlightSummary s = put("w/1", 1);
    assertThat(s.durableCopy()).isIn("pending", "stored");
    await(() -> store.info("w/1").durableCopy().equals("stored"), "the weak copy lands");
    assertThat(durableExists("w/1")).isTrue();
    assertThat(store.stats().weakPending()).isZero();
  }

  @Test
  void weakFlightsArePinnedUntilTheirCopyLandsAndLandAfterAnOutage() {
    start(3, Durability.WEAK, Optional.empty());
    outage.down = true;
    put("w/1", 1);
    put("w/2", 2);
    put("w/3", 3);
    // the tier is full of pinned flights: a fourth cannot evict them
    assertThatThrownBy(() -> put("w/4", 4)).isInstanceOf(InsufficientCapacityException.class);
    assertThat(store.stats().weakPending()).isEqualTo(3);
    assertThat(readSum("w/2")).isEqualTo(expectedSum(2));
    outage.down = false;
    await(() -> store.stats().weakPending() == 0, "the weak copies land after the outage");
    put("w/4", 4); // now the landed ones can be evicted
    assertThat(store.flushWeak(Duration.ofSeconds(20))).isZero(); // what a graceful shutdown does
    start(3, Durability.WEAK, Optional.empty());
    for (int i = 1; i <= 4; i++) {
      assertThat(readSum("w/" + i)).isEqualTo(expectedSum(i));
    }
  }

  @Test
  void aFullWeakQueueRefusesNewWeakPuts() {
    start(400, Durability.WEAK, Optional.empty());
    outage.down = true;
    int queue = config().weakQueue();
    for (int i = 0; i < queue; i++) {
      put("q/" + i, i);
    }
    assertThatThrownBy(() -> put("q/over", 0))
        .isInstanceOf(DurableBackpressureException.class)
        .hasMessage("Cannot accept weak flight \"q/over\" now: " + queue + " weak flights are already waiting for their durable copy in "
            + outage.describe() + " (weakQueue " + queue + "); retry after a backoff, or check that the store is reachable");
    outage.down = false;
    assertThat(store.list("q/over")).isEmpty();
    await(() -> store.stats().weakPending() == 0, "the queue drains");
    put("q/over", 0);
    assertThat(store.flushWeak(Duration.ofSeconds(20))).isZero();
  }

  @Test
  void noneNeverTouchesTheStore() {
    start(10, Durability.NONE, Optional.empty());
    outage.down = true;
    put("n/1", 1);
    assertThat(readSum("n/1")).isEqualTo(expectedSum(1));
    store.delete("n/1");
    assertThat(outage.calls).isZero();
  }

  /** A real store that can be made to fail every call, as an unreachable one does. */
  static final class Outage implements DurableStore {
    final DurableStore delegate;
    volatile boolean down;
    volatile int calls;
    /** While set, each commit (the call that makes an object visible) waits for it; {@code committing} counts them in. */
    volatile java.util.concurrent.CountDownLatch commitGate;
    final java.util.concurrent.Semaphore committing = new java.util.concurrent.Semaphore(0);

    Outage(DurableStore delegate) {
      this.delegate = delegate;
    }

    private void call() {
      calls++;
      if (down) {
        throw new DurableStoreException(describe() + ": injected outage");
      }
    }

    @Override
    public String id() {
      return delegate.id();
    }

    @Override
    public String describe() {
      return delegate.describe();
    }

    @Override
    public void check() {
      call();
      delegate.check();
    }

    @Override
    public void checkKey(String key) {
      delegate.checkKey(key);
    }

    @Override
    public ObjectUpload create(String key) {
      call();
      ObjectUpload up = delegate.create(key);
      return new ObjectUpload() {
        @Override
        public java.io.OutputStream stream() {
          return up.stream();
        }

        @Override
        public void prepare() {
          if (down) {
            up.abort();
          }
          call();
          up.prepare();
        }

        @Override
        public void commit() {
          if (down) {
            up.abort();
          }
          java.util.concurrent.CountDownLatch gate = commitGate;
          if (gate != null) {
            committing.release();
            try {
              gate.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          call();
          up.commit();
        }

        @Override
        public void abort() {
          up.abort();
        }
      };
    }

    @Override
    public Optional<ObjectInfo> head(String key) {
      call();
      return delegate.head(key);
    }

    @Override
    public Optional<InputStream> read(String key) {
      call();
      return delegate.read(key);
    }

    @Override
    public byte[] readRange(String key, long offset, int length) {
      call();
      return delegate.readRange(key, offset, length);
    }

    @Override
    public List<ObjectInfo> list(String prefix) {
      call();
      return delegate.list(prefix);
    }

    @Override
    public void forEach(String prefix, java.util.function.Consumer<ObjectInfo> each) {
      call();
      delegate.forEach(prefix, each);
    }

    @Override
    public void delete(String key) {
      call();
      delegate.delete(key);
    }

    @Override
    public int removeAbandonedWrites(String prefix, java.time.Instant before) {
      call();
      return delegate.removeAbandonedWrites(prefix, before);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
