package dev.hangar.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.Durability;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.config.UploadSpill;
import dev.hangar.tiers.BatchCursor;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.disk.DiskTier;
import dev.hangar.tiers.memory.MemoryTier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
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

/** A class over memory, disk_mapped and disk: placement, upload spill and eviction spill. */
class TieredStoreTest {
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
  private static final int ROWS = 10_000; // one batch: ~80KB

  @TempDir Path dir;
  private final RootAllocator root = new RootAllocator();
  private final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
  private final FlightStoreTest.MutableClock clock = new FlightStoreTest.MutableClock();
  private final List<FlightLease> leases = new ArrayList<>();
  private Map<StorageType, Tier> tiers;
  private FlightStore store;
  private final long unit = probeUnit(); // one batch in memory

  private long probeUnit() {
    try (ArrowRecordBatch probe = batch(0)) {
      return MemoryTier.sizeOf(probe, root);
    }
  }

  private static TierConfig tier(StorageType type, long maxFlightSize, UploadSpill spill, boolean evictionSpill) {
    return new TierConfig(type, maxFlightSize, spill, 0, evictionSpill, Optional.empty(), Optional.empty());
  }

  private void build(long memoryCapacity, long diskCapacity, TierConfig... classTiers) {
    tiers = new EnumMap<>(StorageType.class);
    tiers.put(StorageType.MEMORY, new MemoryTier(root, memoryCapacity));
    tiers.put(StorageType.DISK_MAPPED, new DiskTier(StorageType.DISK_MAPPED, dir.resolve("mapped"), diskCapacity, root));
    tiers.put(StorageType.DISK, new DiskTier(StorageType.DISK, dir.resolve("disk"), diskCapacity, root));
    StorageClassConfig cls = new StorageClassConfig("", Durability.NONE, Optional.empty(), "", Optional.empty(), 1, List.of(classTiers));
    store = new FlightStore(List.of(cls), tiers, clock);
  }

  private ArrowRecordBatch batch(long value) {
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
      BigIntVector v = (BigIntVector) vsr.getVector(0);
      v.allocateNew(ROWS);
      for (int r = 0; r < ROWS; r++) {
        v.set(r, value * 1_000_000 + r);
      }
      vsr.setRowCount(ROWS);
      return new VectorUnloader(vsr).getRecordBatch();
    }
  }

  private FlightSummary put(String path, int batches, OptionalLong expected) {
    try (Upload upload = store.beginPut(path, SCHEMA, expected)) {
      for (int b = 0; b < batches; b++) {
        upload.append(batch(b));
      }
      return upload.commit();
    }
  }

  private void assertContent(String path, int batches) {
    try (FlightLease lease = store.open(path);
        VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
        BatchCursor cursor = BatchCursor.of(lease.cursor(), lease.summary().schema())) {
      int b = 0;
      while (cursor.loadNext(vsr)) {
        BigIntVector v = (BigIntVector) vsr.getVector(0);
        assertThat(v.get(0)).isEqualTo(b * 1_000_000L);
        assertThat(v.get(ROWS - 1)).isEqualTo(b * 1_000_000L + ROWS - 1);
        b++;
      }
      assertThat(b).isEqualTo(batches);
    }
  }

  private StorageType where(String path) {
    return store.info(path).storageType();
  }

  @AfterEach
  void invariants() throws IOException {
    leases.forEach(FlightLease::close);
    if (store != null) {
      for (Tier t : tiers.values()) {
        long held = store.list("").stream().filter(s -> s.storageType() == t.type()).mapToLong(FlightSummary::bytes).sum();
        assertThat(t.capacity().used()).as("bytes in %s = its flights", t.type()).isEqualTo(held);
        assertThat(t.capacity().used()).isLessThanOrEqualTo(t.capacity().limit());
      }
      assertThat(((MemoryTier) tiers.get(StorageType.MEMORY)).heldBytes()).isEqualTo(tiers.get(StorageType.MEMORY).capacity().used());
      long files = 0;
      for (StorageType t : List.of(StorageType.DISK_MAPPED, StorageType.DISK)) {
        try (Stream<Path> s = Files.list(((DiskTier) tiers.get(t)).directory())) {
          files += s.count();
        }
      }
      assertThat(files).as("one file per flight on disk, no orphans")
          .isEqualTo(store.list("").stream().filter(s -> s.storageType() != StorageType.MEMORY).count());
      store.close();
    }
    ingest.close();
    root.close();
  }

  @Test
  void uploadOutgrowingMemorySpillsToTheNextTierAndReadsBackWhole() {
    build(64L << 20, 64L << 20, tier(StorageType.MEMORY, 1, UploadSpill.SPILL, false).withMax(3 * unit),
        tier(StorageType.DISK_MAPPED, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    FlightSummary s = put("big", 8, OptionalLong.empty());
    assertThat(s.storageType()).isEqualTo(StorageType.DISK_MAPPED);
    assertThat(s.rows()).isEqualTo(8L * ROWS);
    assertContent("big", 8);
    assertThat(tiers.get(StorageType.MEMORY).capacity().used()).isZero();
    assertThat(store.stats().storageClasses().get(0).spills()).isEqualTo(1);
    FlightSummary small = put("small", 2, OptionalLong.empty());
    assertThat(small.storageType()).isEqualTo(StorageType.MEMORY);
  }

  @Test
  void spillsAcrossTwoTiersWhenTheMiddleOneIsSmallToo() {
    build(64L << 20, 64L << 20, tier(StorageType.MEMORY, 1, UploadSpill.SPILL, false).withMax(2 * unit),
        tier(StorageType.DISK_MAPPED, 1, UploadSpill.SPILL, false).withMax(5 * unit),
        tier(StorageType.DISK, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    assertThat(put("huge", 9, OptionalLong.empty()).storageType()).isEqualTo(StorageType.DISK);
    assertContent("huge", 9);
    assertThat(store.stats().storageClasses().get(0).spills()).isEqualTo(2);
    assertThat(store.stats().storageTypes()).extracting(StoreStats.TypeStats::spills).containsExactly(1L, 1L, 0L);
  }

  @Test
  void expectedSizeStartsInTheFirstTierThatAdmitsIt() {
    build(64L << 20, 64L << 20, tier(StorageType.MEMORY, 1, UploadSpill.SPILL, false).withMax(3 * unit),
        tier(StorageType.DISK, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    assertThat(put("x", 6, OptionalLong.of(6 * unit)).storageType()).isEqualTo(StorageType.DISK);
    assertThat(store.stats().storageClasses().get(0).spills()).isZero();
    assertContent("x", 6);
  }

  @Test
  void rejectDoesNotSpill() {
    build(64L << 20, 64L << 20, tier(StorageType.MEMORY, 1, UploadSpill.REJECT, false).withMax(3 * unit),
        tier(StorageType.DISK, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    assertThatThrownBy(() -> put("x", 6, OptionalLong.empty()))
        .isInstanceOf(FlightTooLargeException.class)
        .hasMessageEndingWith(" of tier memory in storage class \"\" (uploadSpill: reject)");
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void evictionSpillMovesTheLeastRecentlyUsedFlightDown() {
    build(3 * unit, 64L << 20, tier(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, true),
        tier(StorageType.DISK_MAPPED, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    put("a", 1, OptionalLong.empty());
    put("b", 1, OptionalLong.empty());
    put("c", 1, OptionalLong.empty());
    assertContent("a", 1); // b is now the least recently used
    put("d", 1, OptionalLong.empty());
    assertThat(where("b")).isEqualTo(StorageType.DISK_MAPPED);
    assertThat(List.of(where("a"), where("c"), where("d"))).containsOnly(StorageType.MEMORY);
    assertContent("b", 1);
    StoreStats.ClassStats cls = store.stats().storageClasses().get(0);
    assertThat(cls.flights()).isEqualTo(4);
    assertThat(cls.spills()).isEqualTo(1);
    assertThat(cls.evictions()).isEqualTo(1);
  }

  /**
   * What a DoGet on Netty's event loop opens: a lease only on a copy in memory or a mapped file, and
   * that copy for the whole read even if the flight moves to disk right after (the event loop never
   * reads a disk); otherwise nothing, with nothing counted.
   */
  @Test
  void openResidentLeasesOnlyMemoryAndMappedCopiesAndKeepsThemWhileTheFlightMoves() {
    build(2 * unit, 64L << 20, tier(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, true).withMax(unit),
        tier(StorageType.DISK_MAPPED, TierConfig.UNLIMITED, UploadSpill.SPILL, false).withMax(2 * unit),
        tier(StorageType.DISK, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    put("a", 1, OptionalLong.empty());
    put("b", 1, OptionalLong.empty());
    FlightLease onLoop = store.openResident("a");
    assertThat(onLoop).isNotNull();
    assertThat(onLoop.flight().storageType()).isEqualTo(StorageType.MEMORY);
    leases.add(onLoop);
    store.open("b").close();
    put("c", 1, OptionalLong.empty()); // memory is full: b (least recent but for a, which is read) goes to disk_mapped
    put("big", 6, OptionalLong.empty()); // too large for memory and disk_mapped: on disk
    assertThat(where("b")).isEqualTo(StorageType.DISK_MAPPED);
    assertThat(where("big")).isEqualTo(StorageType.DISK);
    long hits = store.stats().storageClasses().get(0).hits();
    long misses = store.stats().storageClasses().get(0).misses();
    assertThat(store.openResident("big")).as("on disk").isNull();
    assertThat(store.openResident("nothing/here")).as("absent").isNull();
    assertThat(store.stats().storageClasses().get(0).hits()).as("a refusal counts no hit").isEqualTo(hits);
    assertThat(store.stats().storageClasses().get(0).misses()).as("nor a miss").isEqualTo(misses);
    try (FlightLease mapped = store.openResident("b")) {
      assertThat(mapped.flight().storageType()).isEqualTo(StorageType.DISK_MAPPED);
    }
    assertThat(store.stats().storageClasses().get(0).hits()).isEqualTo(hits + 1);
    assertThat(onLoop.flight().storageType()).as("the lease taken on the loop still reads memory").isEqualTo(StorageType.MEMORY);
    assertContent("big", 6);
  }

  @Test
  void aFlightBeingReadIsNotMovedAndTheNextOneIs() {
    build(2 * unit, 64L << 20, tier(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, true),
        tier(StorageType.DISK, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    put("a", 1, OptionalLong.empty());
    put("b", 1, OptionalLong.empty());
    leases.add(store.open("a"));
    store.open("b").close(); // b most recent, but a is being read
    put("c", 1, OptionalLong.empty());
    assertThat(where("a")).isEqualTo(StorageType.MEMORY);
    assertThat(where("b")).isEqualTo(StorageType.DISK);
    assertContent("b", 1);
  }

  @Test
  void idleFlightsMoveDownAfterMoveAfter() {
    TierConfig memory = new TierConfig(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, 0, false,
        Optional.of(java.time.Duration.ofMinutes(15)), Optional.empty());
    build(64L << 20, 64L << 20, memory, tier(StorageType.DISK_MAPPED, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    put("idle", 2, OptionalLong.empty());
    put("busy", 1, OptionalLong.empty());
    FlightLease reader = store.open("idle"); // a long read, still in progress when the move happens
    clock.advance(java.time.Duration.ofMinutes(10));
    assertContent("busy", 1); // read: its idle time restarts
    clock.advance(java.time.Duration.ofMinutes(5));
    assertThat(store.maintain()).isEqualTo(1);
    assertThat(where("idle")).isEqualTo(StorageType.DISK_MAPPED);
    assertThat(where("busy")).isEqualTo(StorageType.MEMORY);
    try (reader;
        VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
        BatchCursor cursor = BatchCursor.of(reader.cursor(), reader.summary().schema())) {
      int n = 0;
      while (cursor.loadNext(vsr)) {
        n++;
      }
      assertThat(n).as("the read finished on the copy it started on").isEqualTo(2);
      assertThat(reader.flight().storageType()).isEqualTo(StorageType.MEMORY);
    }
    assertContent("idle", 2);
    assertThat(store.stats().storageClasses().get(0).moves()).isEqualTo(1);
    assertThat(store.stats().storageTypes().get(0).moves()).isEqualTo(1);
    assertThat(tiers.get(StorageType.MEMORY).capacity().used()).as("old copy freed after its reader").isEqualTo(store.info("busy").bytes());
    clock.advance(java.time.Duration.ofMinutes(30));
    assertThat(store.maintain()).as("the last tier has nowhere to move to; busy moves now").isEqualTo(1);
  }

  @Test
  void hotFlightsArePromotedAfterPromoteAfter() {
    TierConfig memory = new TierConfig(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, 0, false,
        Optional.empty(), Optional.of(new TierConfig.PromoteAfter(3, java.time.Duration.ofMinutes(1))));
    build(64L << 20, 64L << 20, memory.withMax(2 * unit), tier(StorageType.DISK, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    put("hot", 2, OptionalLong.of(2 * unit + 1)); // starts on disk
    assertThat(where("hot")).isEqualTo(StorageType.DISK);
    assertContent("hot", 2);
    clock.advance(java.time.Duration.ofSeconds(70));
    assertContent("hot", 2);
    assertContent("hot", 2);
    assertThat(store.maintain()).as("3 reads, but not within 1m").isZero();
    assertContent("hot", 2);
    assertThat(store.maintain()).isEqualTo(1);
    assertThat(where("hot")).isEqualTo(StorageType.MEMORY);
    assertContent("hot", 2);
    assertThat(store.stats().storageClasses().get(0).promotions()).isEqualTo(1);
    assertThat(store.stats().storageTypes()).extracting(StoreStats.TypeStats::promotions).containsExactly(0L, 0L, 1L);
    assertThat(store.maintain()).as("already at the top").isZero();
  }

  @Test
  void renewExtendsTheTtlFromNow() {
    StorageClassConfig cls = new StorageClassConfig("", Durability.NONE, Optional.empty(), "", Optional.of(java.time.Duration.ofHours(1)), 1,
        List.of(TierConfig.of(StorageType.MEMORY)));
    tiers = new EnumMap<>(StorageType.class);
    tiers.put(StorageType.MEMORY, new MemoryTier(root, 64L << 20));
    tiers.put(StorageType.DISK_MAPPED, new DiskTier(StorageType.DISK_MAPPED, dir.resolve("mapped"), 1 << 20, root));
    tiers.put(StorageType.DISK, new DiskTier(StorageType.DISK, dir.resolve("disk"), 1 << 20, root));
    store = new FlightStore(List.of(cls), tiers, clock);
    java.time.Instant start = clock.instant();
    put("t", 1, OptionalLong.empty());
    clock.advance(java.time.Duration.ofMinutes(50));
    assertThat(store.renew("t").expiresAt()).contains(start.plus(java.time.Duration.ofMinutes(110)));
    clock.advance(java.time.Duration.ofMinutes(30));
    assertContent("t", 1); // would have expired at 60m without the renewal
    assertThatThrownBy(() -> store.renew("nope")).isInstanceOf(FlightNotFoundException.class);
  }

  @Test
  void withNoRoomBelowAnEvictedFlightIsDropped() {
    build(2 * unit, 1024, tier(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, true),
        tier(StorageType.DISK, TierConfig.UNLIMITED, UploadSpill.SPILL, false));
    put("a", 1, OptionalLong.empty());
    put("b", 1, OptionalLong.empty());
    put("c", 1, OptionalLong.empty());
    assertThat(store.list("")).extracting(FlightSummary::path).containsExactly("b", "c");
    assertThatThrownBy(() -> store.open("a")).isInstanceOf(FlightNotFoundException.class);
  }
}
