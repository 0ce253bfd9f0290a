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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeMap;
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

/**
 * Random operation sequences over random configs, every answer compared with a small reference
 * model of the store: which flights are visible, what each contains, which flight eviction takes
 * (lowest priority, least recently used, never one being read), and the bytes in use.
 */
class FlightStoreModelTest {
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
  private static final int ROWS = 500;
  private static final List<String> PATHS = List.of("a/0", "a/1", "a/2", "a/3", "b/0", "b/1", "b/2", "b/3", "b/4");

  @Test
  void randomOperationsMatchTheModel() {
    // Each step is checked against the model inside the run; what is asserted here is that the
    // runs exercised what they guard, so a generator that stopped evicting or expiring would fail.
    long[] seen = new long[5]; // puts, hits, evictions, expirations, deletions
    for (long seed = 1; seed <= 40; seed++) {
      for (StoreStats.ClassStats c : new Run(seed).run(400).storageClasses()) {
        seen[0] += c.puts();
        seen[1] += c.hits();
        seen[2] += c.evictions();
        seen[3] += c.expirations();
        seen[4] += c.deletions();
      }
    }
    System.out.println("FlightStoreModelTest: puts, hits, evictions, expirations, deletions = " + java.util.Arrays.toString(seen));
    assertThat(seen).as("puts, hits, evictions, expirations, deletions over all runs").doesNotContain(0L);
  }

  /** One flight version as the model sees it. */
  private static final class Version {
    final long value;
    final int batches;
    final long bytes;
    final int priority;
    final Optional<Instant> expiresAt;
    long touched;
    int readers;

    Version(long value, int batches, long bytes, int priority, Optional<Instant> expiresAt, long touched) {
      this.value = value;
      this.batches = batches;
      this.bytes = bytes;
      this.priority = priority;
      this.expiresAt = expiresAt;
      this.touched = touched;
    }

    boolean expired(Instant now) {
      return expiresAt.isPresent() && !now.isBefore(expiresAt.get());
    }
  }

  private static final class Run {
    final Random random;
    final long seed;
    final FlightStoreTest.MutableClock clock = new FlightStoreTest.MutableClock();
    final RootAllocator root = new RootAllocator();
    final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
    final MemoryTier tier;
    final FlightStore store;
    final long unit; // bytes of one batch in the tier
    final long capacity;
    final Map<String, Integer> priority = new HashMap<>();
    final Map<String, Optional<Duration>> ttl = new HashMap<>();

    // the model
    final TreeMap<String, Version> catalog = new TreeMap<>();
    final List<Version> orphans = new ArrayList<>(); // left the catalog, still read
    final List<Map.Entry<FlightLease, Version>> held = new ArrayList<>();
    long touches;
    long values;
    final java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>(); // the last operations, for failure messages

    private void note(String op) {
      if (recent.size() == 12) {
        recent.removeFirst();
      }
      recent.addLast(op + " -> " + catalog.keySet() + " used " + used() / unit + "/" + capacity / unit + " units");
    }

    Run(long seed) {
      this.seed = seed;
      this.random = new Random(seed);
      this.unit = probeUnit();
      this.capacity = unit * (3 + random.nextInt(10));
      List<StorageClassConfig> classes = new ArrayList<>();
      for (String prefix : List.of("a/", "b/")) {
        int p = random.nextInt(3);
        Optional<Duration> t = random.nextBoolean() ? Optional.empty() : Optional.of(Duration.ofMinutes(1 + random.nextInt(5)));
        priority.put(prefix, p);
        ttl.put(prefix, t);
        TierConfig tierConfig = new TierConfig(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, p, false, Optional.empty(), Optional.empty());
        classes.add(new StorageClassConfig(prefix, Durability.NONE, Optional.empty(), "", t, 1, List.of(tierConfig)));
      }
      this.tier = new MemoryTier(root, capacity);
      this.store = new FlightStore(classes, Map.of(StorageType.MEMORY, tier), clock);
    }

    private long probeUnit() {
      try (ArrowRecordBatch b = batch(0)) {
        return MemoryTier.sizeOf(b, root);
      }
    }

    StoreStats run(int steps) {
      StoreStats stats;
      try {
        for (int i = 0; i < steps; i++) {
          step(i);
          check(i);
        }
        held.forEach(e -> e.getKey().close());
        held.clear();
        assertThat(store.problems()).as("seed %s: invariants with every lease closed", seed).isEmpty();
        stats = store.stats();
      } finally {
        held.forEach(e -> e.getKey().close());
        store.close();
        ingest.close();
        root.close();
      }
      return stats;
    }

    private String prefixOf(String path) {
      return path.substring(0, 2);
    }

    private void step(int i) {
      String path = PATHS.get(random.nextInt(PATHS.size()));
      int op = random.nextInt(100);
      String where = "seed " + seed + " step " + i + " ";
      if (op < 35) {
        int batches = 1 + random.nextInt(3);
        note("put " + path + " x" + batches);
        put(path, batches, where);
      } else if (op < 55) {
        note("read " + path);
        read(path, where);
      } else if (op < 63) {
        note("hold " + path);
        hold(path, where);
      } else if (op < 73) {
        if (!held.isEmpty()) {
          Map.Entry<FlightLease, Version> e = held.remove(random.nextInt(held.size()));
          note("release value " + e.getValue().value);
          e.getKey().close();
          release(e.getValue());
        }
      } else if (op < 83) {
        note("delete " + path);
        delete(path, where);
      } else if (op < 86) {
        String prefix = random.nextBoolean() ? "a/" : "b/";
        note("delete-prefix " + prefix);
        int expected = 0;
        Instant now = clock.instant();
        for (String p : List.copyOf(catalog.keySet())) {
          if (p.startsWith(prefix)) {
            Version v = catalog.remove(p);
            if (!v.expired(now)) {
              expected++;
            }
            leave(v);
          }
        }
        assertThat(store.deletePrefix(prefix)).as(where + "deletePrefix " + prefix).isEqualTo(expected);
      } else if (op < 95) {
        int seconds = 10 + random.nextInt(110);
        note("advance " + seconds + "s");
        clock.advance(Duration.ofSeconds(seconds));
      } else {
        note("expireDue");
        int expected = 0;
        Instant now = clock.instant();
        for (String p : List.copyOf(catalog.keySet())) {
          if (catalog.get(p).expired(now)) {
            leave(catalog.remove(p));
            expected++;
          }
        }
        assertThat(store.expireDue()).as(where + "expireDue").isEqualTo(expected);
      }
    }

    private void put(String path, int batches, String where) {
      long value = ++values;
      long used = used();
      // Predict: each batch reserves `unit`, evicting (priority, then least recently touched,
      // never a version being read) until it fits, or the put fails.
      String failure = null;
      long writing = 0;
      for (int b = 0; b < batches && failure == null; b++) {
        if (writing + unit > capacity) {
          failure = "too large";
          break;
        }
        while (used + writing + unit > capacity) {
          Optional<String> victim =
              catalog.entrySet().stream()
                  .filter(e -> e.getValue().readers == 0)
                  .min(Comparator.comparingInt((Map.Entry<String, Version> e) -> e.getValue().priority)
                      .thenComparingLong(e -> e.getValue().touched))
                  .map(Map.Entry::getKey); // the key, not the entry: TreeMap.remove may reuse the entry object
          if (victim.isEmpty()) {
            failure = "no room";
            break;
          }
          Version v = catalog.remove(victim.get());
          note("  model evicts " + victim.get() + " (" + v.bytes / unit + " units, priority " + v.priority + ", touched " + v.touched + ")");
          used -= v.bytes;
        }
        if (failure == null) {
          writing += unit;
        }
      }
      Upload upload = store.beginPut(path, SCHEMA, OptionalLong.empty());
      try {
        for (int b = 0; b < batches; b++) {
          upload.append(batch(value));
        }
        assertThat(failure).as(where + "put " + path + " succeeded but the model expected a failure").isNull();
        FlightSummary s = upload.commit();
        assertThat(s.bytes()).isEqualTo(batches * unit);
        Version previous = catalog.put(path, new Version(value, batches, batches * unit,
            priority.get(prefixOf(path)), ttl.get(prefixOf(path)).map(clock.instant()::plus), ++touches));
        if (previous != null) {
          leave(previous);
        }
      } catch (FlightTooLargeException e) {
        upload.abort();
        assertThat(failure).as(where + "put " + path + ": " + e.getMessage()).isEqualTo("too large");
      } catch (InsufficientCapacityException e) {
        upload.abort();
        assertThat(failure).as(where + "put " + path + ": " + e.getMessage()).isEqualTo("no room");
      }
    }

    private Version visible(String path, String where, boolean removeIfExpired) {
      Version v = catalog.get(path);
      if (v != null && v.expired(clock.instant())) {
        if (removeIfExpired) {
          catalog.remove(path);
          leave(v);
        }
        return null;
      }
      return v;
    }

    private void read(String path, String where) {
      Version v = visible(path, where, true);
      if (v == null) {
        assertThatThrownBy(() -> store.open(path)).as(where + "read " + path).isInstanceOf(FlightNotFoundException.class);
        return;
      }
      v.touched = ++touches;
      try (FlightLease lease = store.open(path)) {
        assertContent(lease, v, where + "read " + path);
      }
    }

    private void hold(String path, String where) {
      Version v = visible(path, where, true);
      if (v == null) {
        assertThatThrownBy(() -> store.open(path)).as(where + "hold " + path).isInstanceOf(FlightNotFoundException.class);
        return;
      }
      v.touched = ++touches;
      v.readers++;
      held.add(Map.entry(store.open(path), v));
    }

    private void delete(String path, String where) {
      Version v = catalog.remove(path);
      if (v == null || v.expired(clock.instant())) {
        if (v != null) {
          leave(v);
        }
        assertThatThrownBy(() -> store.delete(path)).as(where + "delete " + path).isInstanceOf(FlightNotFoundException.class);
        return;
      }
      leave(v);
      assertThat(store.delete(path).path()).isEqualTo(path);
    }

    /** A version left the catalog: it lives on while read. */
    private void leave(Version v) {
      if (v.readers > 0) {
        orphans.add(v);
      }
    }

    private void release(Version v) {
      v.readers--;
      if (v.readers == 0) {
        orphans.remove(v);
      }
    }

    private long used() {
      return catalog.values().stream().mapToLong(v -> v.bytes).sum() + orphans.stream().mapToLong(v -> v.bytes).sum();
    }

    private void check(int i) {
      note("step " + i);
      String where = "seed " + seed + " step " + i + " after\n  " + String.join("\n  ", recent) + "\n: ";
      Instant now = clock.instant();
      List<String> visible = catalog.entrySet().stream().filter(e -> !e.getValue().expired(now)).map(Map.Entry::getKey).toList();
      assertThat(store.list("")).extracting(FlightSummary::path).as(where + "visible flights").containsExactlyElementsOf(visible);
      assertThat(tier.capacity().used()).as(where + "bytes in use").isEqualTo(used());
      assertThat(tier.heldBytes()).as(where + "allocator").isEqualTo(tier.capacity().used());
      assertThat(tier.capacity().used()).isLessThanOrEqualTo(capacity);
      if (!held.isEmpty() && random.nextInt(4) == 0) {
        Map.Entry<FlightLease, Version> e = held.get(random.nextInt(held.size()));
        assertContent(e.getKey(), e.getValue(), where + "held lease");
      }
    }

    private void assertContent(FlightLease lease, Version v, String what) {
      int batches = 0;
      try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
          BatchCursor cursor = BatchCursor.of(lease.cursor(), lease.summary().schema())) {
        while (cursor.loadNext(vsr)) {
          BigIntVector vector = (BigIntVector) vsr.getVector(0);
          assertThat(vector.get(0)).as(what).isEqualTo(v.value);
          assertThat(vector.get(ROWS - 1)).as(what).isEqualTo(v.value);
          batches++;
        }
      }
      assertThat(batches).as(what + " batches").isEqualTo(v.batches);
    }

    private ArrowRecordBatch batch(long value) {
      try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
        BigIntVector v = (BigIntVector) vsr.getVector(0);
        v.allocateNew(ROWS);
        for (int r = 0; r < ROWS; r++) {
          v.set(r, value);
        }
        vsr.setRowCount(ROWS);
        return new VectorUnloader(vsr).getRecordBatch();
      }
    }
  }
}
