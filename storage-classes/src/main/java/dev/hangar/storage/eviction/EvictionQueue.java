package dev.hangar.storage.eviction;

import dev.hangar.storage.catalog.FlightVersion;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.TreeMap;

/**
 * The flights of one storage type in eviction order: lowest priority first, least recently used
 * first within a priority. Thread-safe. Its monitor guards only the queue itself: a victim is
 * chosen and taken out under it, and evicted (freed, or copied to the next tier) after it is left.
 * It also counts the victims being copied out, so a put that finds nothing to evict can wait for
 * their room instead of failing.
 */
public final class EvictionQueue {
  private final TreeMap<Integer, LinkedHashSet<FlightVersion>> byPriority = new TreeMap<>();
  private int size;
  private int leaving; // victims taken out and still being copied to the next tier

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

  /** Decides, without I/O and without taking other locks, whether and how a candidate leaves. */
  @FunctionalInterface
  public interface Chooser<T> {
    /** What to do with {@code candidate}, or null to pass it over. */
    T choose(FlightVersion candidate);
  }

  /**
   * Offers queued flights to {@code chooser} in eviction order until it takes one, removes that one
   * and returns the chooser's decision, or null if it took none. Versions that already left the
   * catalog are dropped from the queue on the way.
   */
  public synchronized <T> T take(Chooser<T> chooser) {
    for (Iterator<Map.Entry<Integer, LinkedHashSet<FlightVersion>>> levels = byPriority.entrySet().iterator(); levels.hasNext(); ) {
      LinkedHashSet<FlightVersion> set = levels.next().getValue();
      for (Iterator<FlightVersion> it = set.iterator(); it.hasNext(); ) {
        FlightVersion v = it.next();
        T decision = v.isInCatalog() ? chooser.choose(v) : null;
        if (decision != null || !v.isInCatalog()) {
          it.remove();
          size--;
          if (set.isEmpty()) {
            levels.remove();
          }
        }
        if (decision != null) {
          return decision;
        }
      }
    }
    return null;
  }

  /** A victim taken out of this queue is being copied to the next tier. */
  public synchronized void leaving() {
    leaving++;
  }

  /** That copy finished (either way): wakes puts waiting for room. */
  public synchronized void left() {
    leaving--;
    notifyAll();
  }

  /**
   * Waits (up to {@code millis}) for a victim being copied out to finish; false at once if none is.
   * Waiting releases the monitor, so this never holds the queue while another thread copies.
   */
  public synchronized boolean awaitLeaving(long millis) throws InterruptedException {
    if (leaving == 0) {
      return false;
    }
    wait(millis);
    return true;
  }

  public synchronized int size() {
    return size;
  }
}
