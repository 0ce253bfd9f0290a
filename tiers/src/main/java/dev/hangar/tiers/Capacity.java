package dev.hangar.tiers;

import dev.hangar.config.Sizes;
import dev.hangar.config.StorageType;
import java.util.concurrent.atomic.AtomicLong;

/** The byte budget of one storage type: reservations never take it past its limit. */
public final class Capacity {
  private final StorageType type;
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  public Capacity(StorageType type, long limit) {
    this.type = type;
    this.limit = limit;
  }

  public StorageType type() {
    return type;
  }

  public long limit() {
    return limit;
  }

  /** Bytes reserved now: committed flights, uploads in progress, and replaced copies still read. */
  public long used() {
    return used.get();
  }

  public long free() {
    return limit - used.get();
  }

  /** Takes {@code bytes} if they fit; otherwise takes nothing and returns false. */
  public boolean tryReserve(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("Cannot reserve a negative size: " + bytes);
    }
    while (true) {
      long current = used.get();
      if (current + bytes > limit) {
        return false;
      }
      if (used.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  /** Gives back bytes taken by {@link #tryReserve}. */
  public void release(long bytes) {
    long after = used.addAndGet(-bytes);
    if (after < 0) {
      throw new IllegalStateException("Capacity of " + type + " released more than it reserved (" + after + ")");
    }
  }

  @Override
  public String toString() {
    return type + " " + Sizes.format(used()) + " of " + Sizes.format(limit);
  }
}
