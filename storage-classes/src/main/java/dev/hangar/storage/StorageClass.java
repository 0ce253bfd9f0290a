package dev.hangar.storage;

import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.TierConfig;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A configured storage class and what happened in it: the counters {@code stats} reports. {@code
 * flights} and {@code bytes} count the class's versions held in tiers (durable-only flights are
 * counted by the catalog); each policy package increments the counters of what it did.
 */
public final class StorageClass {
  private final StorageClassConfig config;
  public final AtomicLong flights = new AtomicLong();
  public final AtomicLong bytes = new AtomicLong();
  public final LongAdder hits = new LongAdder();
  public final LongAdder misses = new LongAdder();
  public final LongAdder puts = new LongAdder();
  public final LongAdder rejectedPuts = new LongAdder();
  public final LongAdder evictions = new LongAdder();
  public final LongAdder expirations = new LongAdder();
  public final LongAdder deletions = new LongAdder();
  public final LongAdder spills = new LongAdder();
  public final LongAdder moves = new LongAdder();
  public final LongAdder promotions = new LongAdder();
  public final LongAdder restores = new LongAdder();
  public final LongAdder durableReads = new LongAdder();
  public final LongAdder durableWrites = new LongAdder();
  public final LongAdder durableFailures = new LongAdder();
  public final LongAdder durableExpirations = new LongAdder();

  private final java.util.List<String> tierKeys;

  public StorageClass(StorageClassConfig config) {
    this.config = config;
    this.tierKeys = config.tiers().stream().map(t -> t.storage().key()).toList();
  }

  /** The storage types of the class's tiers, in order, as reports name them ({@code memory}, …). */
  public java.util.List<String> tierKeys() {
    return tierKeys;
  }

  public StorageClassConfig config() {
    return config;
  }

  public String prefix() {
    return config.prefix();
  }

  public TierConfig tier(int index) {
    return config.tiers().get(index);
  }

  public int tierCount() {
    return config.tiers().size();
  }

  /** Whether the class keeps durable copies ({@code weak} or {@code strong}). */
  public boolean isDurable() {
    return config.durability() != dev.hangar.config.Durability.NONE;
  }

  /** The class as people read it in messages: {@code storage class "cache/"}. */
  @Override
  public String toString() {
    return "storage class \"" + config.prefix() + "\"";
  }
}
