package dev.hangar.storage;

import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.TierConfig;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** A configured storage class and what happened in it: the counters {@code stats} reports. */
public final class StorageClass {
  private final StorageClassConfig config;
  final AtomicLong flights = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder puts = new LongAdder();
  final LongAdder rejectedPuts = new LongAdder();
  final LongAdder evictions = new LongAdder();
  final LongAdder expirations = new LongAdder();
  final LongAdder deletions = new LongAdder();
  final LongAdder spills = new LongAdder();
  final LongAdder moves = new LongAdder();
  final LongAdder promotions = new LongAdder();
  final LongAdder restores = new LongAdder();
  final LongAdder durableReads = new LongAdder();
  final LongAdder durableWrites = new LongAdder();
  final LongAdder durableFailures = new LongAdder();
  final LongAdder durableExpirations = new LongAdder();

  StorageClass(StorageClassConfig config) {
    this.config = config;
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

  /** The class as people read it in messages: {@code storage class "cache/"}. */
  @Override
  public String toString() {
    return "storage class \"" + config.prefix() + "\"";
  }
}
