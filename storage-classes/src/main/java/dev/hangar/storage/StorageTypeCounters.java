package dev.hangar.storage;

import java.util.concurrent.atomic.LongAdder;

/**
 * What happened in one storage type, for {@code stats}: reads served from it, and flights that
 * left it by eviction, spill, move, promotion or expiry.
 */
public final class StorageTypeCounters {
  public final LongAdder hits = new LongAdder();
  public final LongAdder evictions = new LongAdder();
  public final LongAdder spills = new LongAdder();
  public final LongAdder moves = new LongAdder();
  public final LongAdder promotions = new LongAdder();
  public final LongAdder expirations = new LongAdder();
}
