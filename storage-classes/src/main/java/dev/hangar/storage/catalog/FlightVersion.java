package dev.hangar.storage.catalog;

import dev.hangar.storage.StorageClass;
import dev.hangar.tiers.StoredFlight;
import java.time.Instant;
import java.util.Optional;

/**
 * One committed version of a flight: the copy a put produced, plus who may still use it.
 *
 * <p>State (guarded by {@code this}): {@code readers} counts open leases; {@code inCatalog} is true
 * while the catalog maps the path to this version; the copy is freed exactly once, when the version
 * has left the catalog and its last reader is gone. Eviction takes a version only while nobody
 * reads it ({@link #tryEvict}), so a reader always finishes on the copy it started on. A version's
 * monitor is the innermost lock: nothing is called out of it (see {@code FlightStore} for the order).
 */
public final class FlightVersion implements CatalogEntry {
  private final String path;
  private final StorageClass owner;
  private final int tierIndex;
  private final int priority;
  private final StoredFlight copy;
  private final Instant committedAt;
  private volatile Optional<Instant> expiresAt;
  // Guarded by itself. Sized for the common case of promoteAfter.accesses <= 2: a default ArrayDeque holds 16 slots, and
  // a node can hold millions of versions.
  private final java.util.ArrayDeque<Instant> accesses = new java.util.ArrayDeque<>(2);
  private final long id;
  private final DurableState durable;
  private volatile Instant lastAccess;

  private int readers;
  private boolean inCatalog = true;
  private boolean freed;

  /**
   * @param owner the storage class the version belongs to
   * @param tierIndex which of its class's tiers the copy is in
   * @param priority the eviction priority of that tier
   * @param id a number unique to this version within the node
   * @param durable the state of its durable copy, shared with the versions it moves to; null if the class has none
   */
  public FlightVersion(String path, StorageClass owner, int tierIndex, int priority, StoredFlight copy, Instant committedAt,
      Optional<Instant> expiresAt, long id, DurableState durable) {
    this.path = path;
    this.owner = owner;
    this.tierIndex = tierIndex;
    this.priority = priority;
    this.copy = copy;
    this.committedAt = committedAt;
    this.expiresAt = expiresAt;
    this.id = id;
    this.durable = durable;
    this.lastAccess = committedAt;
  }

  /** A version of a class without durable copies. */
  public FlightVersion(String path, StorageClass owner, int tierIndex, int priority, StoredFlight copy, Instant committedAt,
      Optional<Instant> expiresAt, long id) {
    this(path, owner, tierIndex, priority, copy, committedAt, expiresAt, id, null);
  }

  /** The state of the durable copy, or null if the flight's class keeps none. */
  public DurableState durable() {
    return durable;
  }

  /** True while a weak flight's durable copy has not landed: eviction may move it down, never drop it. */
  public boolean pinned() {
    return durable != null && !durable.isLanded();
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public StorageClass storageClass() {
    return owner;
  }

  public int tierIndex() {
    return tierIndex;
  }

  public int priority() {
    return priority;
  }

  public StoredFlight copy() {
    return copy;
  }

  public Instant committedAt() {
    return committedAt;
  }

  public Optional<Instant> expiresAt() {
    return expiresAt;
  }

  public long id() {
    return id;
  }

  public Instant lastAccess() {
    return lastAccess;
  }

  private static final java.util.concurrent.atomic.AtomicIntegerFieldUpdater<FlightVersion> READS =
      java.util.concurrent.atomic.AtomicIntegerFieldUpdater.newUpdater(FlightVersion.class, "reads");
  private volatile int reads; // reads of this version (the status page's hottest flights); 4 bytes, not a LongAdder

  /** Counts a read of this version. */
  public void counted() {
    READS.incrementAndGet(this);
  }

  public int reads() {
    return reads;
  }

  public void touch(Instant now) {
    lastAccess = now;
  }

  /** Records a read, keeping the last {@code keep} read times (for promoteAfter). */
  public void recordAccess(Instant now, int keep) {
    synchronized (accesses) {
      accesses.addLast(now);
      while (accesses.size() > Math.max(1, keep)) {
        accesses.removeFirst();
      }
    }
  }

  /** Whether the last {@code count} reads all happened within {@code within} before {@code now}. */
  public boolean readAtLeast(int count, java.time.Duration within, Instant now) {
    synchronized (accesses) {
      if (accesses.size() < count) {
        return false;
      }
      Instant oldest = accesses.stream().skip(accesses.size() - count).findFirst().orElseThrow();
      return !oldest.isBefore(now.minus(within));
    }
  }

  /** Copies the recent read times of {@code other} (a version this one replaces by moving). */
  public void inheritAccesses(FlightVersion other) {
    synchronized (other.accesses) {
      synchronized (accesses) {
        accesses.addAll(other.accesses);
      }
    }
  }

  /**
   * The same committed flight with its copy in another tier of its class ({@code copy}): same id,
   * times, durable state and recent reads. It enters the catalog in place of this one.
   */
  public FlightVersion movedTo(int target, StoredFlight moved) {
    FlightVersion v = new FlightVersion(path, owner, target, owner.tier(target).priority(), moved, committedAt, expiresAt, id, durable);
    v.touch(lastAccess);
    v.inheritAccesses(this);
    return v;
  }

  /** A new expiry (RenewFlightEndpoint). */
  public void renew(Instant newExpiry) {
    expiresAt = Optional.of(newExpiry);
  }

  @Override
  public boolean isExpired(Instant now) {
    return expiresAt.isPresent() && !now.isBefore(expiresAt.get());
  }

  public synchronized int readers() {
    return readers;
  }

  /** Registers a reader; false if the version already left the catalog (look the path up again). */
  public synchronized boolean tryAcquire() {
    if (!inCatalog) {
      return false;
    }
    readers++;
    return true;
  }

  /** Ends a reader's use; the last reader of a version no longer in the catalog frees it. */
  public void releaseReader() {
    boolean free;
    synchronized (this) {
      if (readers <= 0) {
        throw new IllegalStateException("Flight " + path + " released more readers than it had");
      }
      readers--;
      free = shouldFree();
    }
    if (free) {
      copy.free();
    }
  }

  /**
   * Marks the version as gone from the catalog (deleted, replaced or expired); it is freed now if
   * nobody reads it, else when its last reader finishes. False if it had already left.
   */
  public boolean leaveCatalog() {
    boolean free;
    synchronized (this) {
      if (!inCatalog) {
        return false;
      }
      inCatalog = false;
      free = shouldFree();
    }
    if (free) {
      copy.free();
    }
    return true;
  }

  /**
   * Claims the version for eviction if nobody reads it: it leaves the catalog, and the caller must
   * free its copy (after leaving any lock it holds: freeing a disk copy deletes a file). False if
   * it is being read or already gone.
   */
  public synchronized boolean tryEvict() {
    if (!inCatalog || readers > 0) {
      return false;
    }
    inCatalog = false;
    freed = true;
    return true;
  }

  /** Whether the catalog still maps (or is about to map) the path to this version. */
  public synchronized boolean isInCatalog() {
    return inCatalog;
  }

  private boolean shouldFree() {
    if (!inCatalog && readers == 0 && !freed) {
      freed = true;
      return true;
    }
    return false;
  }

  @Override
  public String toString() {
    return "FlightVersion[" + path + " #" + id + "]";
  }
}
