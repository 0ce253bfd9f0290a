package dev.hangar.storage.eviction;

import dev.hangar.storage.catalog.FlightVersion;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The flights of one storage type in eviction order: lowest priority first, least recently used
 * first within a priority. Thread-safe; its monitor is also the lock under which room is made in
 * the storage type, so two puts never evict for the same bytes.
 */
public final class EvictionQueue {
  private final TreeMap<Integer, LinkedHashSet<FlightVersion>> byPriority = new TreeMap<>();
  private int size;

  public synchronized void add(FlightVersion v) {
    if (byPriority.computeIfAbsent(v.priority(), p -> new LinkedHashSet<>()).add(v)) {
      size++;
    }
  }

  public synchronized void remove(FlightVersion v) {
    LinkedHashSet<FlightVersion> set = byPriority.get(v.priority());
    if (set != null && set.remove(v)) {
      size--;
      if (set.isEmpty()) {
        byPriority.remove(v.priority());
      }
    }
  }

  /** Marks {@code v} most recently used within its priority; no-op if it is no longer queued. */
  public synchronized void touch(FlightVersion v) {
    LinkedHashSet<FlightVersion> set = byPriority.get(v.priority());
    if (set != null && set.remove(v)) {
      set.add(v);
    }
  }

  /** Decides how one candidate leaves: true if it was evicted (its copy freed or moved). */
  @FunctionalInterface
  public interface Evictor {
    boolean evict(FlightVersion candidate);
  }

  /** Evicts with {@link FlightVersion#tryEvict()}: the copy is dropped. */
  public synchronized FlightVersion evictOne() {
    return evictOne(FlightVersion::tryEvict);
  }

  /**
   * Offers flights to {@code evictor} in eviction order until it evicts one, and returns that one,
   * or null when none could go (every queued flight is being read).
   */
  public synchronized FlightVersion evictOne(Evictor evictor) {
    for (Iterator<Map.Entry<Integer, LinkedHashSet<FlightVersion>>> levels = byPriority.entrySet().iterator(); levels.hasNext(); ) {
      LinkedHashSet<FlightVersion> set = levels.next().getValue();
      for (Iterator<FlightVersion> it = set.iterator(); it.hasNext(); ) {
        FlightVersion v = it.next();
        if (evictor.evict(v)) {
          it.remove();
          size--;
          if (set.isEmpty()) {
            levels.remove();
          }
          return v;
        }
      }
    }
    return null;
  }

  public synchronized int size() {
    return size;
  }
}
