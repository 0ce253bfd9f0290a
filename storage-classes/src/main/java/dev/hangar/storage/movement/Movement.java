package dev.hangar.storage.movement;

import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.StorageTypeCounters;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.eviction.CapacityEviction;
import dev.hangar.storage.expiry.DueQueue;
import dev.hangar.storage.placement.Placement;
import dev.hangar.tiers.StoredFlight;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Moves flights between the tiers of their class by time (DESIGN §4): one idle for its tier's
 * {@code moveAfter} goes down a tier; one read {@code promoteAfter.accesses} times within {@code
 * promoteAfter.within} goes up into that tier. A flight is scheduled for its move when it enters a
 * tier and rescheduled when it turns out to have been read since; a read that completes a
 * promotion's count nominates the flight. So {@link #maintain} costs what is due, not a scan. A
 * read in progress finishes on the copy it started on; the copy runs with no lock held.
 */
public final class Movement {
  /** How long a move that found no room below waits before it is tried again. */
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final Catalog catalog;
  private final CapacityEviction capacity;
  private final Map<StorageType, StorageTypeCounters> counters;
  private final DueQueue moves = new DueQueue();
  private final Set<FlightVersion> promotions = ConcurrentHashMap.newKeySet();

  public Movement(Catalog catalog, CapacityEviction capacity, Map<StorageType, StorageTypeCounters> counters) {
    this.catalog = catalog;
    this.capacity = capacity;
    this.counters = counters;
  }

  /** Schedules a version that entered a tier whose class moves flights down after idling. */
  public void schedule(CatalogEntry e) {
    if (e instanceof FlightVersion v) {
      TierConfig here = v.storageClass().tier(v.tierIndex());
      if (here.moveAfter().isPresent() && v.tierIndex() + 1 < v.storageClass().tierCount()) {
        moves.schedule(v.lastAccess().plus(here.moveAfter().get()), v.path());
      }
    }
  }

  /** Records a read of {@code v} at {@code now}, nominating it for promotion if the read completes its count. */
  public void read(FlightVersion v, Instant now) {
    if (v.tierIndex() == 0) {
      return;
    }
    v.storageClass().tier(v.tierIndex() - 1).promoteAfter().ifPresent(p -> {
      v.recordAccess(now, p.accesses());
      if (v.readAtLeast(p.accesses(), p.within(), now)) {
        promotions.add(v);
      }
    });
  }

  /** Runs the promotions nominated and the moves due by {@code now}; returns how many flights moved. */
  public int maintain(Instant now) {
    int moved = 0;
    for (FlightVersion v : List.copyOf(promotions)) {
      promotions.remove(v);
      StorageClass sc = v.storageClass();
      int up = v.tierIndex() - 1;
      TierConfig.PromoteAfter p = sc.tier(up).promoteAfter().orElseThrow();
      if (catalog.get(v.path()) == v && !v.isExpired(now) && v.readAtLeast(p.accesses(), p.within(), now)
          && Placement.admits(sc, up, v.copy().bodyBytes()) && relocate(v, up)) {
        sc.promotions.increment();
        counters.get(sc.tier(up + 1).storage()).promotions.increment();
        moved++;
      }
    }
    for (String path : moves.pollDue(now)) {
      FlightVersion v = catalog.version(path);
      if (v == null || v.isExpired(now)) {
        continue;
      }
      StorageClass sc = v.storageClass();
      TierConfig here = sc.tier(v.tierIndex());
      if (here.moveAfter().isEmpty() || v.tierIndex() + 1 >= sc.tierCount()) {
        continue;
      }
      Instant due = v.lastAccess().plus(here.moveAfter().get());
      if (now.isBefore(due)) {
        moves.schedule(due, path); // read since it was scheduled
      } else if (Placement.admits(sc, v.tierIndex() + 1, v.copy().bodyBytes()) && relocate(v, v.tierIndex() + 1)) {
        sc.moves.increment();
        counters.get(here.storage()).moves.increment();
        moved++;
      } else if (Placement.admits(sc, v.tierIndex() + 1, v.copy().bodyBytes())) {
        moves.schedule(now.plus(RETRY), path); // no room below now
      }
    }
    return moved;
  }

  /** Copies v into another tier of its class and swaps it in; v's readers finish on the old copy. */
  private boolean relocate(FlightVersion v, int target) {
    if (!v.tryAcquire()) {
      return false;
    }
    StoredFlight copy;
    try {
      copy = capacity.copyTo(v, target);
    } finally {
      v.releaseReader();
    }
    return copy != null && catalog.replace(v, v.movedTo(target, copy));
  }
}
