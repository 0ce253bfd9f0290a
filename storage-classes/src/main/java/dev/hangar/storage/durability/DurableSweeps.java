package dev.hangar.storage.durability;

import dev.hangar.storage.StorageClass;
import dev.hangar.storage.StorageException;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.DurableEntry;
import dev.hangar.storage.placement.Placement;
import dev.hangar.storage.quota.Quotas;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the node does with its durable stores in the background: indexing them into the catalog at
 * start-up, counting their flights towards the limit policies, deleting expired objects, and
 * removing writes a crash abandoned.
 */
public final class DurableSweeps {
  private static final Logger LOG = LoggerFactory.getLogger(DurableSweeps.class);

  private final Catalog catalog;
  private final Durables durables;
  private final Placement placement;
  private final Quotas quotas;
  private final Clock clock;
  /** Wall-clock start of this node (object stores time-stamp in wall-clock time). */
  private final Instant startedAt = Instant.now();

  public DurableSweeps(Catalog catalog, Durables durables, Placement placement, Quotas quotas, Clock clock) {
    this.catalog = catalog;
    this.durables = durables;
    this.placement = placement;
    this.quotas = quotas;
    this.clock = clock;
  }

  /**
   * Adds every durable object of {@code sc} to the catalog (those not there already), as unresolved
   * entries: their footers are read when first asked for. One paginated LIST of the class's
   * prefix, added to the catalog a page at a time (a million objects are never all in memory
   * twice); no lock is held. Then the class counts as indexed: a path it does not hold is not in
   * the store. Returns how many entries it added.
   *
   * @throws dev.hangar.storage.DurableStoreUnavailableException if the store cannot be listed
   */
  public int index(StorageClass sc) {
    Instant now = clock.instant();
    int[] n = {0};
    durables.forEach(sc, sc.prefix(), (path, object) -> {
      if (placement.classOf(path).orElse(null) != sc) {
        return; // a more specific class's flight under the same prefix
      }
      DurableEntry entry = DurableEntry.listed(path, sc, object.size(), object.lastModified());
      if (!entry.isExpired(now) && !catalog.wasRemovedWhileIndexing(sc, path) && catalog.addIfAbsent(entry)) {
        if (quotas.governs(sc)) {
          quotas.recover(sc, path, object.size(), entry.expiresAt());
        }
        n[0]++;
      }
    });
    catalog.markIndexed(sc);
    return n[0];
  }

  /** Indexes every durable class not indexed yet; a store that fails is logged and left unindexed (reads fall back to it). */
  public void indexAll() {
    for (StorageClass sc : placement.classes()) {
      if (sc.isDurable() && !catalog.isIndexed(sc)) {
        try {
          int n = index(sc);
          LOG.info("Indexed {} durable flight(s) of {}", n, sc);
        } catch (StorageException e) {
          LOG.warn("Could not index the durable flights of {} (reads of them go to the store until it is): {}", sc, e.getMessage());
        }
      }
    }
  }

  /**
   * Indexes, before the node serves, the durable classes a limit policy governs, so their flights
   * count towards their quotas before the first put. Such a flight counts its object's size until
   * it is read back into a tier or rewritten. Returns how many flights it counted.
   *
   * @throws dev.hangar.storage.DurableStoreUnavailableException if a store cannot be listed
   */
  public int recoverUsage() {
    if (quotas.isEmpty()) {
      return 0;
    }
    int n = 0;
    for (StorageClass sc : placement.classes()) {
      if (sc.isDurable() && quotas.governs(sc) && !catalog.isIndexed(sc)) {
        n += index(sc);
      }
    }
    return n;
  }

  /**
   * Deletes the durable copies whose TTL has passed, in every durable class (objects another node
   * or an earlier run left, which no catalog entry schedules), and writes a crash abandoned. Only
   * objects old enough to have expired are opened. Returns how many copies were deleted; a store
   * that fails is logged and tried again at the next sweep.
   */
  public int sweep() {
    Instant now = clock.instant();
    int n = 0;
    // Writes begun before this node started and at least an hour ago, so another node's write in progress is left alone.
    Instant abandonedBefore = Collections.min(List.of(startedAt, Instant.now().minus(Duration.ofHours(1))));
    for (StorageClass sc : placement.classes()) {
      if (!sc.isDurable()) {
        continue;
      }
      try {
        int removed = durables.removeAbandonedWrites(sc, abandonedBefore);
        if (removed > 0) {
          LOG.info("Removed {} abandoned durable write(s) of {}", removed, sc);
        }
      } catch (StorageException e) {
        LOG.warn("Cleanup of abandoned writes of {} failed, will retry: {}", sc, e.getMessage());
      }
      if (sc.config().ttl().isEmpty()) {
        continue;
      }
      try {
        Duration ttl = sc.config().ttl().get();
        int[] deleted = {0};
        durables.forEach(sc, sc.prefix(), (path, object) -> {
          if (placement.classOf(path).orElse(null) == sc && object.lastModified().plus(ttl).isBefore(now) && deleteIfExpired(sc, path)) {
            deleted[0]++;
          }
        });
        n += deleted[0];
      } catch (StorageException e) {
        LOG.warn("TTL sweep of {} failed, will retry: {}", sc, e.getMessage());
      }
    }
    return n;
  }

  /**
   * Deletes the durable copy of {@code path} if its own footer says it has expired and the catalog
   * holds no live flight there. The footer is read first, with no lock; the delete is the commit
   * point, under the path's lock.
   */
  public boolean deleteIfExpired(StorageClass sc, String path) {
    try {
      Optional<Durables.Described> d = durables.describe(sc, path);
      if (d.isEmpty() || !d.get().meta().isExpired(clock.instant())) {
        return false;
      }
      return durables.locked(path, () -> {
        Instant now = clock.instant();
        CatalogEntry current = catalog.get(path);
        if (current != null && !current.isExpired(now)) {
          return false; // a live flight (renewed, or put again meanwhile)
        }
        durables.delete(sc, path);
        if (current != null) {
          catalog.remove(current);
        }
        quotas.gone(path, 0);
        sc.durableExpirations.increment();
        return true;
      });
    } catch (StorageException e) {
      LOG.warn("Could not delete the expired durable copy of \"{}\", will retry: {}", path, e.getMessage());
      return false;
    }
  }
}
