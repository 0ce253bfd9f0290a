package dev.hangar.storage.eviction;

import dev.hangar.config.Sizes;
import dev.hangar.config.StorageType;
import dev.hangar.storage.InsufficientCapacityException;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.StorageException;
import dev.hangar.storage.StorageTypeCounters;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.DurableEntry;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.placement.Placement;
import dev.hangar.storage.quota.Quotas;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes room in a storage type when a write needs it: the least valuable flights leave, lowest
 * priority and least recently used first. A flight whose tier has {@code evictionSpill} (or a weak
 * flight whose durable copy has not landed, which must never be dropped) is copied to the next
 * tier of its class; any other is dropped (a durable flight keeps its durable copy, and the
 * catalog remembers it as durable-only).
 *
 * <p>A victim is chosen and taken out of its queue under the queue's monitor, which is then left:
 * the copy to the next tier and the freeing of the victim run with no lock held, so reads and
 * other puts in the storage type never wait behind a spill, and a disk that fails or hangs there
 * stalls only the put that needed the room.
 */
public final class CapacityEviction implements Tier.Reserver {
  private static final Logger LOG = LoggerFactory.getLogger(CapacityEviction.class);
  private static final long WAIT_FOR_SPILL_MILLIS = 50;

  private final Catalog catalog;
  private final Placement placement;
  private final Quotas quotas;
  private final Map<StorageType, StorageTypeCounters> counters;

  public CapacityEviction(Catalog catalog, Placement placement, Quotas quotas, Map<StorageType, StorageTypeCounters> counters) {
    this.catalog = catalog;
    this.placement = placement;
    this.quotas = quotas;
    this.counters = counters;
  }

  /** How one victim leaves. */
  private record Claim(FlightVersion victim, boolean spill) {}

  @Override
  public void reserve(Capacity capacity, long bytes) {
    reserve(capacity, bytes, null);
  }

  /** Reserves {@code bytes} in a storage type for a write of {@code path}, evicting others if it must. */
  public void reserve(Capacity capacity, long bytes, String path) {
    if (capacity.tryReserve(bytes)) {
      return; // the common case, once per message of a put: nothing to evict, nothing allocated
    }
    EvictionQueue queue = catalog.queue(capacity.type());
    Set<FlightVersion> tried = new HashSet<>();
    while (!capacity.tryReserve(bytes)) {
      Claim claim = queue.take(v -> tried.contains(v) ? null : choose(v));
      if (claim == null) {
        if (awaitSpill(queue)) {
          continue; // a victim is being copied out: its room comes when it is done
        }
        throw new InsufficientCapacityException(
            "Cannot store flight \"%s\": storage %s has no room for %s more (capacity %s, in use %s, and every"
                + " flight left in it is being read or written)",
            path, capacity.type(), Sizes.format(bytes), Sizes.format(capacity.limit()), Sizes.format(capacity.used()));
      }
      tried.add(claim.victim());
      if (claim.spill()) {
        spill(queue, claim.victim());
      } else {
        dropClaimed(claim.victim());
      }
    }
  }

  private static boolean awaitSpill(EvictionQueue queue) {
    try {
      return queue.awaitLeaving(WAIT_FOR_SPILL_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Under the queue's monitor: whether {@code v} can leave now, and how. Takes only v's own monitor. */
  private Claim choose(FlightVersion v) {
    StorageClass sc = v.storageClass();
    boolean canMove = Placement.admits(sc, v.tierIndex() + 1, v.copy().bodyBytes());
    if (!v.pinned() && (!sc.tier(v.tierIndex()).evictionSpill() || !canMove)) {
      return v.tryEvict() ? new Claim(v, false) : null;
    }
    if (!canMove || v.readers() > 0 || !v.tryAcquire()) {
      return null; // a pinned flight with nowhere to go, or one being read
    }
    return new Claim(v, true); // holds a reader on v until the copy is done
  }

  /**
   * Frees a version claimed with {@link FlightVersion#tryEvict} and accounts for it: the catalog
   * forgets it (or remembers its durable copy), and the limit policies drop its tier bytes.
   */
  public void dropClaimed(FlightVersion v) {
    v.copy().free();
    StorageClass sc = v.storageClass();
    counters.get(v.copy().storageType()).evictions.increment();
    sc.evictions.increment();
    DurableEntry durable = v.durable() != null && v.durable().isLanded() ? durableEntryOf(v) : null;
    if (catalog.evicted(v, durable)) {
      quotas.dropped(sc, v.path(), v.id());
    }
  }

  private DurableEntry durableEntryOf(FlightVersion v) {
    StoredFlight c = v.copy();
    return DurableEntry.resolved(v.path(), v.storageClass(), catalog.schemas().intern(c.schema()), c.rows(), c.bodyBytes(),
        c.batches(), v.committedAt(), v.expiresAt(), v.durable().objectSize(), v.committedAt(), v.durable().idempotencyKey());
  }

  /** Copies a claimed victim to the next tier of its class and swaps it in; drops it if that fails. */
  private void spill(EvictionQueue queue, FlightVersion v) {
    queue.leaving();
    try {
      StoredFlight moved;
      try {
        moved = copyTo(v, v.tierIndex() + 1);
      } finally {
        v.releaseReader();
      }
      StorageType from = v.copy().storageType();
      if (moved != null && catalog.replace(v, v.movedTo(v.tierIndex() + 1, moved))) {
        counters.get(from).evictions.increment();
        counters.get(from).spills.increment();
        v.storageClass().evictions.increment();
        v.storageClass().spills.increment();
        return;
      }
      if (moved == null && !v.pinned() && v.tryEvict()) {
        dropClaimed(v); // no room below (or the disk failed): drop it instead
      } else if (v.isInCatalog()) {
        queue.add(v); // a weak flight that must stay until its durable copy lands
      }
    } finally {
      queue.left();
    }
  }

  /**
   * Copies {@code v}'s flight into tier {@code target} of its class, making room there as needed;
   * null if that tier has no room or its storage fails (logged). The caller holds a reader on v.
   */
  public StoredFlight copyTo(FlightVersion v, int target) {
    Tier tier = placement.tier(v.storageClass(), target);
    try {
      FlightWriter writer = tier.newWriter(v.path(), v.copy().schema(), (cap, bytes) -> reserve(cap, bytes, v.path()));
      try {
        v.copy().copyTo(writer);
        return writer.commit();
      } catch (RuntimeException e) {
        writer.abort();
        throw e;
      }
    } catch (StorageException e) {
      return null;
    } catch (RuntimeException e) {
      LOG.warn("Could not copy flight \"{}\" to storage {}: {}", v.path(), tier.type(), e.getMessage());
      return null;
    }
  }
}
