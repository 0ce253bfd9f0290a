package dev.hangar.server.ops;

import dev.hangar.storage.FlightStore;
import dev.hangar.storage.StoreStats;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The last hour of each storage type, kept in memory for the status page: bytes held, and reads
 * and evictions per interval, sampled every {@code interval} (10 s: 360 samples an hour).
 */
public final class History {
  /** Samples kept: an hour at one every 10 s. */
  public static final int SAMPLES = 360;

  /** One storage type at one time: bytes, and the hits and evictions since the previous sample. */
  public record Sample(long at, long bytes, long hits, long evictions) {}

  private final FlightStore store;
  private final Map<String, ArrayDeque<Sample>> byType = new LinkedHashMap<>();
  private final Map<String, long[]> lastCounters = new LinkedHashMap<>();

  public History(FlightStore store) {
    this.store = store;
    sample();
  }

  /** Takes one sample of every storage type. */
  public synchronized void sample() {
    long now = System.currentTimeMillis();
    for (StoreStats.TypeStats t : store.stats().storageTypes()) {
      long[] before = lastCounters.get(t.storage());
      long hits = before == null ? 0 : t.hits() - before[0];
      long evictions = before == null ? 0 : t.evictions() - before[1];
      lastCounters.put(t.storage(), new long[] {t.hits(), t.evictions()});
      ArrayDeque<Sample> q = byType.computeIfAbsent(t.storage(), k -> new ArrayDeque<>());
      q.addLast(new Sample(now, t.bytes(), hits, evictions));
      while (q.size() > SAMPLES) {
        q.removeFirst();
      }
    }
  }

  public synchronized List<Sample> of(String storageType) {
    return new ArrayList<>(byType.getOrDefault(storageType, new ArrayDeque<>()));
  }
}
