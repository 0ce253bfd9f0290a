package dev.hangar.storage;

import dev.hangar.storage.durability.Durables;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.config.StorageType;
import dev.hangar.limits.QuotaExceededException;
import dev.hangar.limits.Scope;
import dev.hangar.limits.UsageLedger;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.memory.MemoryTier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Random puts (with no, exact, too small and too large announced sizes), overwrites, deletes,
 * prefix deletes and TTL expiry under random hierarchical, segmented and standard quotas, each
 * outcome compared with a reference model: a put is admitted iff, in every scope of its path, what
 * the other flights hold plus the larger of its announced and real size fits {@code total}, and a
 * new path fits {@code flights}. After every step each scope's usage
 * must equal the model's sum and the ledger must match the catalog.
 */
class LimitPolicyModelTest {
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));

  @Test
  void randomOperationsMatchTheModel() {
    // Each step is checked against the model inside the run, and each run must admit and refuse puts.
    for (long seed = 1; seed <= 30; seed++) {
      new Run(seed).run(300);
    }
  }

  private record Flight(long units, Instant expiresAt) {}

  private static final class Run {
    final long seed;
    final Random random;
    final RootAllocator root = new RootAllocator();
    final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
    final FlightStoreTest.MutableClock clock = new FlightStoreTest.MutableClock();
    final FlightStore store;
    final long unit;
    final TreeMap<String, Flight> model = new TreeMap<>();
    final ArrayDeque<String> recent = new ArrayDeque<>();
    int admitted;
    int refused;

    Run(long seed) {
      this.seed = seed;
      this.random = new Random(seed);
      try (ArrowRecordBatch b = batch(0)) {
        unit = b.computeBodyLength();
      }
      String yaml = """
          storage: {memory: {capacity: 256MiB}}
          storageClasses:
            - {prefix: a/, ttl: %dm, tiers: [{storage: memory}]}
            - {prefix: b/, tiers: [{storage: memory}]}
          limitPolicies:
            - type: hierarchical
              storageClasses: [a/, b/]
              levels: [tenant, dataSource]
              default: {total: %d}
              overrides:
                t1: {total: %d, flights: %d, children: {d1: {total: %d}}}
            - {type: segmented, storageClasses: [b/], segment: 2, total: %d}
            - {type: standard, storageClasses: [a/, b/], flights: %d}
          """.formatted(2 + random.nextInt(8), units(4, 12), units(6, 20), 2 + random.nextInt(6), units(2, 8), units(3, 10),
          6 + random.nextInt(10));
      HangarConfig config = HangarConfig.parse(yaml, "model", Map.of());
      store = new FlightStore(config.storageClasses(), Map.<StorageType, Tier>of(StorageType.MEMORY, new MemoryTier(root, 256L << 20)),
          Durables.none(), config.limitPolicies(), clock);
    }

    private long units(int min, int max) {
      return (min + random.nextInt(max - min + 1)) * unit;
    }

    void run(int steps) {
      try {
        for (int i = 0; i < steps; i++) {
          step();
          check(i);
        }
        assertThat(admitted).as("seed %d admits some puts", seed).isPositive();
        assertThat(refused).as("seed %d refuses some puts", seed).isPositive();
        assertThat(store.problems()).as("seed %d: invariants at the end", seed).isEmpty();
      } finally {
        store.close();
        ingest.close();
        root.close();
      }
    }

    private String randomPath() {
      return (random.nextBoolean() ? "a/" : "b/") + "t" + (1 + random.nextInt(3)) + "/d" + (1 + random.nextInt(2)) + "/f" + random.nextInt(2);
    }

    private void step() {
      int op = random.nextInt(10);
      if (op < 6) {
        put(randomPath());
      } else if (op < 8) {
        String path = randomPath();
        boolean present = model.remove(path) != null;
        try {
          store.delete(path);
          assertThat(present).as(trace("delete " + path + " succeeded")).isTrue();
        } catch (FlightNotFoundException e) {
          assertThat(present).as(trace("delete " + path + " not found")).isFalse();
        }
        note("delete " + path);
      } else if (op < 9) {
        String prefix = random.nextBoolean() ? "b/t" + (1 + random.nextInt(3)) + "/" : "a/t1/d" + (1 + random.nextInt(2));
        int expected = model.subMap(prefix, prefix + Character.MAX_VALUE).size();
        model.subMap(prefix, prefix + Character.MAX_VALUE).clear();
        assertThat(store.deletePrefix(prefix)).as(trace("delete-prefix " + prefix)).isEqualTo(expected);
        note("delete-prefix " + prefix);
      } else {
        clock.advance(Duration.ofMinutes(1 + random.nextInt(3)));
        Instant now = clock.instant();
        int expected = (int) model.values().stream().filter(f -> f.expiresAt != null && !now.isBefore(f.expiresAt)).count();
        model.values().removeIf(f -> f.expiresAt != null && !now.isBefore(f.expiresAt));
        assertThat(store.expireDue()).as(trace("expire")).isEqualTo(expected);
        note("advance to " + now);
      }
    }

    private void put(String path) {
      long units = 1 + random.nextInt(4);
      long size = units * unit;
      int kind = random.nextInt(4); // 0 unknown, 1 exact, 2 announced too small, 3 announced too large
      OptionalLong announced = switch (kind) {
        case 1 -> OptionalLong.of(size);
        case 2 -> OptionalLong.of(size - unit / 2);
        case 3 -> OptionalLong.of(size + unit * (1 + random.nextInt(3)));
        default -> OptionalLong.empty();
      };
      boolean fits = fits(path, Math.max(size, announced.orElse(0)));
      boolean stored;
      try (Upload upload = store.beginPut(path, SCHEMA, announced)) {
        for (int b = 0; b < units; b++) {
          upload.append(batch(b));
        }
        upload.commit();
        stored = true;
      } catch (QuotaExceededException e) {
        stored = false;
      }
      note("put " + path + " " + units + "u announced " + announced + (stored ? " stored" : " refused"));
      assertThat(stored).as(trace("put " + path + " admitted")).isEqualTo(fits);
      if (stored) {
        admitted++;
        Instant now = clock.instant();
        model.put(path, new Flight(units, store.classOf(path).orElseThrow().config().ttl().map(now::plus).orElse(null)));
      } else {
        refused++;
      }
    }

    /**
     * The model's answer: in every scope of the path, the other flights plus {@code bytes} fit (an
     * overwrite needs room only beyond the flight it replaces), and a new path fits one more flight.
     */
    private boolean fits(String path, long bytes) {
      long replaced = model.containsKey(path) ? model.get(path).units * unit : 0;
      for (Scope s : store.scopesOf(path)) {
        long[] used = used(s);
        if (s.limits().total().isPresent() && used[0] - replaced + bytes > s.limits().total().getAsLong()) {
          return false;
        }
        if (!model.containsKey(path) && s.limits().flights().isPresent() && used[1] + 1 > s.limits().flights().getAsLong()) {
          return false;
        }
      }
      return true;
    }

    /** [bytes, flights] of the model's flights in scope {@code s}. */
    private long[] used(Scope s) {
      long[] used = new long[2];
      model.forEach((p, f) -> {
        if (store.scopesOf(p).contains(s)) {
          used[0] += f.units * unit;
          used[1]++;
        }
      });
      return used;
    }

    private void check(int step) {
      assertThat(store.quotaProblems()).as(trace("ledger at step " + step)).isEmpty();
      assertThat(store.list("").stream().map(FlightSummary::path).toList()).as(trace("flights")).isEqualTo(List.copyOf(model.keySet()));
      Map<Scope, UsageLedger.Usage> usage = new HashMap<>(store.usageLedger().snapshot());
      for (String path : model.keySet()) {
        for (Scope s : store.scopesOf(path)) {
          long[] used = used(s);
          UsageLedger.Usage u = usage.remove(s);
          if (u != null) {
            assertThat(u).as(trace("usage of " + s)).isEqualTo(new UsageLedger.Usage(used[0], used[0], used[1]));
          }
        }
      }
      assertThat(usage).as(trace("scopes with usage but no flights")).isEmpty();
    }

    private void note(String op) {
      if (recent.size() == 15) {
        recent.removeFirst();
      }
      recent.addLast(op);
    }

    private String trace(String what) {
      return "seed " + seed + ": " + what + "; last operations: " + recent;
    }

    private ArrowRecordBatch batch(long value) {
      try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
        BigIntVector v = (BigIntVector) vsr.getVector(0);
        v.allocateNew(100);
        for (int r = 0; r < 100; r++) {
          v.set(r, value + r);
        }
        vsr.setRowCount(100);
        return new VectorUnloader(vsr).getRecordBatch();
      }
    }
  }
}
