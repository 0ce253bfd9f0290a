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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random operations (puts that may spill, reads, held reads, deletes, clock advances, TTL sweeps,
 * moveAfter/promoteAfter runs) over randomly generated tiered configs, checked against a model of
 * what each path must contain: a visible flight always holds exactly what its last successful put
 * wrote, a flight disappears only by delete, expiry or a counted eviction, and every tier's bytes
 * and files match what the catalog holds.
 */
class TieredStoreRandomTest {
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
  private static final int ROWS = 2000;
  private static final List<String> PATHS = List.of("a/0", "a/1", "a/2", "a/3", "b/0", "b/1", "b/2");

  @TempDir Path dir;

  @Test
  void randomOperationsOverRandomTieredConfigs() throws IOException {
    // Each step is checked inside the run; here: the runs exercised what they guard.
    long[] seen = new long[4]; // spills, moves, promotions, evictions
    for (long seed = 1; seed <= 25; seed++) {
      Path runDir = Files.createDirectory(dir.resolve("run" + seed));
      for (StoreStats.TypeStats t : new Run(seed, runDir).run(300).storageTypes()) {
        seen[0] += t.spills();
        seen[1] += t.moves();
        seen[2] += t.promotions();
        seen[3] += t.evictions();
      }
    }
    System.out.println("TieredStoreRandomTest: spills, moves, promotions, evictions = " + java.util.Arrays.toString(seen));
    assertThat(seen).as("spills, moves, promotions, evictions over all runs").doesNotContain(0L);
  }

  private record Expected(long value, int batches, Optional<Instant> expiresAt) {}

  private static final class Run {
    final long seed;
    final Random random;
    final Path dir;
    final FlightStoreTest.MutableClock clock = new FlightStoreTest.MutableClock();
    final RootAllocator root = new RootAllocator();
    final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
    final Map<StorageType, Tier> tiers = new EnumMap<>(StorageType.class);
    final Map<String, Optional<Duration>> ttl = new HashMap<>();
    final FlightStore store;
    final long unit;
    final Map<String, Expected> expected = new HashMap<>();
    final List<FlightLease> held = new ArrayList<>();
    long values;
    long unexplainedLosses;
    final StringBuilder config = new StringBuilder();

    Run(long seed, Path dir) {
      this.seed = seed;
      this.random = new Random(seed);
      this.dir = dir;
      try (ArrowRecordBatch probe = batch(0, 0)) {
        this.unit = MemoryTier.sizeOf(probe, root);
      }
      tiers.put(StorageType.MEMORY, new MemoryTier(root, unit * (2 + random.nextInt(7))));
      tiers.put(StorageType.DISK_MAPPED, new DiskTier(StorageType.DISK_MAPPED, dir.resolve("mapped"), unit * (3 + random.nextInt(20)), root));
      tiers.put(StorageType.DISK, new DiskTier(StorageType.DISK, dir.resolve("disk"), unit * (3 + random.nextInt(30)), root));
      List<StorageClassConfig> classes = new ArrayList<>();
      for (String prefix : List.of("a/", "b/")) {
        List<TierConfig> list = new ArrayList<>();
        for (StorageType type : StorageType.values()) {
          if (list.isEmpty() ? random.nextInt(4) > 0 || type == StorageType.DISK : random.nextBoolean()) {
            list.add(new TierConfig(type,
                random.nextInt(3) == 0 ? unit * (1 + random.nextInt(4)) : TierConfig.UNLIMITED,
                random.nextInt(4) == 0 ? UploadSpill.REJECT : UploadSpill.SPILL,
                random.nextInt(3),
                random.nextBoolean(),
                random.nextInt(3) == 0 ? Optional.of(Duration.ofMinutes(1 + random.nextInt(10))) : Optional.empty(),
                random.nextInt(3) == 0 ? Optional.of(new TierConfig.PromoteAfter(2 + random.nextInt(2), Duration.ofMinutes(1 + random.nextInt(5)))) : Optional.empty()));
          }
        }
        Optional<Duration> t = random.nextInt(3) == 0 ? Optional.of(Duration.ofMinutes(5 + random.nextInt(20))) : Optional.empty();
        ttl.put(prefix, t);
        classes.add(new StorageClassConfig(prefix, Durability.NONE, Optional.empty(), "", t, 1, list));
        config.append(prefix).append(" ttl=").append(t).append(" tiers=").append(list).append('\n');
      }
      this.store = new FlightStore(classes, tiers, clock);
    }

    StoreStats run(int steps) {
      StoreStats stats;
      try {
        for (int i = 0; i < steps; i++) {
          step(i);
          check(i);
        }
        held.forEach(FlightLease::close);
        held.clear();
        check(steps);
        assertThat(store.problems()).as(where(steps) + "invariants with every lease closed").isEmpty();
        stats = store.stats();
        long evictions = store.stats().storageTypes().stream().mapToLong(StoreStats.TypeStats::evictions).sum();
        assertThat(unexplainedLosses).as(where(steps) + "flights lost beyond evictions").isLessThanOrEqualTo(evictions);
      } finally {
        held.forEach(FlightLease::close);
        store.close();
        ingest.close();
        root.close();
      }
      return stats;
    }

    private String where(int i) {
      return "seed " + seed + " step " + i + "\n" + config;
    }

    private void step(int i) {
      String path = PATHS.get(random.nextInt(PATHS.size()));
      int op = random.nextInt(100);
      if (op < 35) {
        put(path, 1 + random.nextInt(4), i);
      } else if (op < 55) {
        read(path, i);
      } else if (op < 60) {
        try {
          held.add(store.open(path));
        } catch (FlightNotFoundException e) {
          // fine: checked by read()
        }
      } else if (op < 68) {
        if (!held.isEmpty()) {
          held.remove(random.nextInt(held.size())).close();
        }
      } else if (op < 76) {
        boolean visible = store.list("").stream().anyMatch(s -> s.path().equals(path));
        if (visible) {
          store.delete(path);
        } else {
          assertThatThrownBy(() -> store.delete(path)).isInstanceOf(FlightNotFoundException.class);
        }
        expected.remove(path);
      } else if (op < 88) {
        clock.advance(Duration.ofSeconds(10 + random.nextInt(290)));
      } else if (op < 94) {
        store.expireDue();
      } else {
        store.maintain();
      }
    }

    private void put(String path, int batches, int i) {
      long value = ++values;
      try (Upload upload = store.beginPut(path, SCHEMA, random.nextInt(4) == 0 ? OptionalLong.of(batches * unit) : OptionalLong.empty())) {
        for (int b = 0; b < batches; b++) {
          upload.append(batch(value, b));
        }
        FlightSummary s = upload.commit();
        assertThat(s.rows()).isEqualTo((long) batches * ROWS);
        expected.put(path, new Expected(value, batches, ttl.get(path.substring(0, 2)).map(clock.instant()::plus)));
      } catch (FlightTooLargeException | InsufficientCapacityException e) {
        // the previous flight at the path, if any, is untouched (unless evicted, which check() sees)
      }
    }

    private void read(String path, int i) {
      Expected e = expected.get(path);
      try (FlightLease lease = store.open(path)) {
        assertThat(e).as(where(i) + path + " is visible but no put wrote it").isNotNull();
        assertContent(lease, e, where(i) + "read " + path);
      } catch (FlightNotFoundException notFound) {
        // allowed only if expired, deleted or evicted: check() accounts for it
      }
    }

    private void check(int i) {
      Instant now = clock.instant();
      List<FlightSummary> visible = store.list("");
      for (FlightSummary s : visible) {
        Expected e = expected.get(s.path());
        assertThat(e).as(where(i) + s.path() + " visible without a put").isNotNull();
        assertThat(e.expiresAt().map(x -> now.isBefore(x)).orElse(true)).as(where(i) + s.path() + " visible after expiry").isTrue();
        assertThat(s.rows()).as(where(i) + s.path()).isEqualTo((long) e.batches() * ROWS);
      }
      for (String path : List.copyOf(expected.keySet())) {
        if (visible.stream().noneMatch(s -> s.path().equals(path))) {
          Expected e = expected.remove(path);
          boolean expired = e.expiresAt().map(x -> !now.isBefore(x)).orElse(false);
          if (!expired) {
            unexplainedLosses++; // only eviction may explain it
          }
        }
      }
      if (!visible.isEmpty() && random.nextInt(3) == 0) {
        FlightSummary s = visible.get(random.nextInt(visible.size()));
        try (FlightLease lease = store.open(s.path())) {
          assertContent(lease, expected.get(s.path()), where(i) + "content of " + s.path());
        }
      }
      // Expired flights keep their bytes until the sweep: exact accounting only right after one.
      boolean swept = this.held.isEmpty() && random.nextInt(3) == 0;
      if (swept) {
        store.expireDue();
      }
      for (Tier t : tiers.values()) {
        long held = visible.stream().filter(s -> s.storageType() == t.type()).mapToLong(FlightSummary::bytes).sum();
        assertThat(t.capacity().used()).as(where(i) + t.type() + " within capacity").isLessThanOrEqualTo(t.capacity().limit());
        if (swept) {
          assertThat(t.capacity().used()).as(where(i) + t.type() + " bytes = its flights").isEqualTo(held);
        } else {
          assertThat(t.capacity().used()).as(where(i) + t.type() + " bytes >= its flights").isGreaterThanOrEqualTo(held);
        }
      }
      if (swept) {
        long files = countFiles(dir.resolve("mapped")) + countFiles(dir.resolve("disk"));
        assertThat(files).as(where(i) + "files = flights on disk").isEqualTo(visible.stream().filter(s -> s.storageType() != StorageType.MEMORY).count());
        assertThat(((MemoryTier) tiers.get(StorageType.MEMORY)).heldBytes()).isEqualTo(tiers.get(StorageType.MEMORY).capacity().used());
      }
    }

    private static long countFiles(Path d) {
      try (Stream<Path> s = Files.list(d)) {
        return s.count();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    private void assertContent(FlightLease lease, Expected e, String what) {
      int b = 0;
      try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
          BatchCursor cursor = BatchCursor.of(lease.cursor(), lease.summary().schema())) {
        while (cursor.loadNext(vsr)) {
          BigIntVector v = (BigIntVector) vsr.getVector(0);
          assertThat(v.get(0)).as(what).isEqualTo(e.value() * 1000 + b);
          assertThat(v.get(ROWS - 1)).as(what).isEqualTo(e.value() * 1000 + b);
          b++;
        }
      }
      assertThat(b).as(what + " batches").isEqualTo(e.batches());
    }

    private ArrowRecordBatch batch(long value, int b) {
      try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
        BigIntVector v = (BigIntVector) vsr.getVector(0);
        v.allocateNew(ROWS);
        for (int r = 0; r < ROWS; r++) {
          v.set(r, value * 1000 + b);
        }
        vsr.setRowCount(ROWS);
        return new VectorUnloader(vsr).getRecordBatch();
      }
    }
  }
}
