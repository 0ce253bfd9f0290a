package dev.hangar.storage.durability;

import dev.hangar.storage.DurableStoreUnavailableException;
import dev.hangar.storage.FlightNotFoundException;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.StorageException;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.DurableEntry;
import dev.hangar.storage.catalog.DurableState;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.eviction.CapacityEviction;
import dev.hangar.storage.eviction.ScopeEviction;
import dev.hangar.storage.placement.Placement;
import dev.hangar.storage.quota.Quotas;
import dev.hangar.limits.UsageLedger;
import dev.hangar.tiers.StoredFlight;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads of flights whose only copy is durable: looking them up (the catalog first; the store only
 * for a class not yet indexed), reading their footers into the catalog, and restoring them.
 *
 * <p>A read of a durable-only flight streams the object to its reader and, as it goes, writes it
 * into the first tier of its class that admits it (see {@link RestoringFlight}). The restored copy
 * is installed only if the catalog still holds the entry the read started from (a put, delete or
 * newer restore replaces it) and the path's lock is free; otherwise it is freed. No store call is
 * made under the lock.
 */
public final class DurableReads {
  private static final Logger LOG = LoggerFactory.getLogger(DurableReads.class);

  private final Catalog catalog;
  private final Durables durables;
  private final Placement placement;
  private final Quotas quotas;
  private final CapacityEviction capacity;
  private final ScopeEviction scopes;
  /** Paths being restored now: a second reader of one streams from the store instead of restoring it again. */
  private final Set<String> restoring = ConcurrentHashMap.newKeySet();
  /** Whether other nodes write to the same durable stores, so that the index cannot rule a path out. */
  private volatile boolean shared;

  public DurableReads(Catalog catalog, Durables durables, Placement placement, Quotas quotas, CapacityEviction capacity,
      ScopeEviction scopes) {
    this.catalog = catalog;
    this.durables = durables;
    this.placement = placement;
    this.quotas = quotas;
    this.capacity = capacity;
    this.scopes = scopes;
  }

  /**
   * Marks the durable stores as shared with other cluster nodes: a path the index does not know is
   * then looked up in its store, since another node may have written it after the index was built.
   */
  public void shared() {
    shared = true;
  }

  /**
   * The durable-only entry of {@code path} in {@code sc}, resolved (its footer read) if the store
   * answers: from the catalog, or, for a class not indexed yet, from the store (and then added to
   * the catalog). Empty if there is no such flight, or if it expired.
   *
   * @param bestEffort if true, a store that fails leaves an entry unresolved instead of failing
   */
  public Optional<DurableEntry> find(StorageClass sc, String path, Instant now, boolean bestEffort) {
    CatalogEntry known = catalog.get(path);
    if (known instanceof DurableEntry e) {
      if (e.isExpired(now)) {
        return Optional.empty();
      }
      return Optional.ofNullable(e.isResolved() ? e : resolve(e, bestEffort)).filter(r -> !r.isExpired(now));
    }
    if (known != null || (catalog.isIndexed(sc) && !shared)) {
      return Optional.empty(); // in a tier (the caller looked), or the index says there is none
    }
    Optional<Durables.Described> d;
    try {
      d = durables.describe(sc, path);
    } catch (StorageException ex) {
      if (bestEffort) {
        return Optional.empty();
      }
      throw ex;
    }
    if (d.isEmpty() || d.get().meta().isExpired(now)) {
      return Optional.empty();
    }
    DurableEntry found = entryOf(sc, path, d.get());
    if (!catalog.addIfAbsent(found) && catalog.get(path) instanceof DurableEntry listed && !listed.isResolved()) {
      catalog.replace(listed, found); // the indexer got there first, without the footer
    }
    return Optional.of(found);
  }

  /**
   * Reads, one after another, the footers of the durable-only entries indexing left unresolved, so
   * that listings after a restart find schemas and row counts in memory instead of reading a footer
   * per flight. Runs in the background after indexing; stops at the first store failure (the
   * entries left are read when asked for, or at the next durable sweep). Returns how many it read.
   */
  public int resolveAll(Instant now) {
    int n = 0;
    for (CatalogEntry e : catalog.entries()) {
      if (e instanceof DurableEntry d && !d.isResolved() && !d.isExpired(now)) {
        try {
          resolve(d, false);
          n++;
        } catch (DurableStoreUnavailableException ex) {
          LOG.warn("Stopped reading durable footers after {}: {}", n, ex.getMessage());
          break;
        } catch (StorageException ex) {
          LOG.warn("{}", ex.getMessage()); // that one object is unreadable; a read of it says so too
        }
      }
    }
    return n;
  }

  /** Reads the footer of an unresolved entry into the catalog; null if the object is gone. */
  private DurableEntry resolve(DurableEntry e, boolean bestEffort) {
    Optional<Durables.Described> d;
    try {
      d = durables.describe(e.storageClass(), e.path());
    } catch (StorageException ex) {
      if (bestEffort) {
        return e;
      }
      throw ex;
    }
    if (d.isEmpty()) {
      catalog.remove(e);
      return null;
    }
    DurableEntry resolved = entryOf(e.storageClass(), e.path(), d.get());
    catalog.replace(e, resolved);
    return resolved;
  }

  /** What the catalog keeps about an object whose footer was read. */
  public DurableEntry entryOf(StorageClass sc, String path, Durables.Described d) {
    return DurableEntry.resolved(path, sc, catalog.schemas().intern(d.schema()),
        d.meta().rows(), d.meta().bodyBytes(), d.meta().batches(), d.meta().committedAt(), d.meta().expiresAt(), d.size(),
        d.lastModified(), d.meta().idempotencyKey().orElse(null));
  }

  /**
   * Opens the durable copy of {@code entry} for one reader: a version outside the catalog with that
   * reader registered, restoring into a tier as it is read when a tier admits it and nobody else is
   * restoring the path. Throws {@link FlightNotFoundException} if the object is gone.
   */
  public FlightVersion open(DurableEntry entry) {
    StorageClass sc = entry.storageClass();
    String path = entry.path();
    Durables.Described d = durables.describe(sc, path).orElseThrow(() -> {
      catalog.remove(entry);
      return new FlightNotFoundException("Flight \"%s\" not found", path);
    });
    int target = placement.firstTierFor(sc, d.meta().bodyBytes());
    StoredFlight flight;
    if (target >= 0 && restoring.add(path)) {
      UsageLedger.Reservation quota = quotas.reserveRestore(sc, path);
      flight = new RestoringFlight(durables, sc, path, d, placement.tier(sc, target),
          (cap, bytes) -> capacity.reserve(cap, bytes, path),
          bytes -> scopes.charge(quota, bytes),
          copy -> install(entry, target, d, copy, quota),
          () -> {
            quotas.release(quota); // a no-op once installed
            restoring.remove(path);
          });
    } else {
      sc.durableReads.increment();
      flight = new DurableStreamFlight(durables, sc, path, d);
    }
    FlightVersion v = new FlightVersion(path, sc, -1, 0, flight, d.meta().committedAt(), d.meta().expiresAt(), 0,
        DurableState.landed(d.size(), d.meta().idempotencyKey().orElse(null)));
    v.tryAcquire();
    v.leaveCatalog(); // never mapped itself: the restored copy, if any, is installed as its own version
    return v;
  }

  /** Makes a restored copy the flight at its path if the catalog still holds {@code from}; else frees it. */
  private void install(DurableEntry from, int tierIndex, Durables.Described d, StoredFlight copy, UsageLedger.Reservation quota) {
    StorageClass sc = from.storageClass();
    boolean installed = durables.lockedIfFree(from.path(), () -> {
      if (catalog.get(from.path()) != from) {
        return false; // put, deleted or restored meanwhile
      }
      FlightVersion v = new FlightVersion(from.path(), sc, tierIndex, sc.tier(tierIndex).priority(), copy, d.meta().committedAt(),
          from.expiresAt(), catalog.nextVersionId(), DurableState.landed(d.size(), d.meta().idempotencyKey().orElse(null)));
      if (quota != null) {
        quotas.ledger().restored(quota, copy.bodyBytes(), v.id(), v.expiresAt());
      }
      catalog.install(v);
      sc.restores.increment();
      return true;
    }).orElse(false);
    if (!installed) {
      copy.free();
    }
  }
}
