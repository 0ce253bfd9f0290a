package dev.hangar.storage;

import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.DurableEntry;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.durability.DurableReads;
import dev.hangar.storage.durability.Durables;
import dev.hangar.storage.placement.Placement;
import dev.hangar.tiers.durable.DurableStore;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ListFlights: served from the catalog. A durable-only entry whose footer has not been read yet is
 * read once (and kept); if its store fails, the rest of the listing reports such entries without a
 * schema rather than failing. A durable class not indexed yet is also listed from its store, and
 * skipped, with a warning, if the store is down: a listing never fails because a store is. When the
 * stores are shared with other nodes (a cluster), the client's node lists them every time, since
 * other nodes write to them.
 */
final class Listing {
  private static final Logger LOG = LoggerFactory.getLogger(Listing.class);

  private final Catalog catalog;
  private final Placement placement;
  private final Durables durables;
  private final DurableReads reads;
  private boolean storeFailed;

  Listing(Catalog catalog, Placement placement, Durables durables, DurableReads reads) {
    this.catalog = catalog;
    this.placement = placement;
    this.durables = durables;
    this.reads = reads;
  }

  /**
   * The visible flights under {@code prefix} in path order, produced as they are taken: the catalog's
   * range is walked lazily (weakly consistent: flights put or deleted meanwhile may or may not
   * appear), so a listing of millions holds one entry at a time, and a client that reads slowly
   * costs no memory. Footers are read as their entries come up.
   */
  Iterator<FlightSummary> iterate(String prefix, Instant now, boolean askStores) {
    for (StorageClass sc : placement.durableClasses(prefix)) {
      if (!catalog.isIndexed(sc) || askStores) {
        addFromStore(sc, prefix, now);
      }
    }
    Iterator<CatalogEntry> entries = catalog.range(prefix).values().iterator();
    return new Iterator<>() {
      private FlightSummary next;

      @Override
      public boolean hasNext() {
        while (next == null && entries.hasNext()) {
          next = visible(entries.next(), now);
        }
        return next != null;
      }

      @Override
      public FlightSummary next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        FlightSummary s = next;
        next = null;
        return s;
      }
    };
  }

  private FlightSummary visible(CatalogEntry e, Instant now) {
    if (e.isExpired(now)) {
      return null;
    }
    if (e instanceof FlightVersion v) {
      return FlightSummary.of(v);
    }
    if (e instanceof DurableEntry d) {
      return resolved(d, now).filter(r -> !r.isExpired(now)).map(FlightSummary::of).orElse(null);
    }
    return null;
  }

  private Optional<DurableEntry> resolved(DurableEntry d, Instant now) {
    if (d.isResolved() || storeFailed) {
      return Optional.of(d);
    }
    try {
      return reads.find(d.storageClass(), d.path(), now, false);
    } catch (StorageException ex) {
      storeFailed = true; // one failure per listing: the rest go out unresolved at once
      LOG.warn("Listing flights without reading footers from the durable store: {}", ex.getMessage());
      return Optional.of(d);
    }
  }

  /** Adds to the catalog the objects of a class not indexed yet (their footers are read as they are listed). */
  private void addFromStore(StorageClass sc, String prefix, Instant now) {
    Map<String, DurableStore.ObjectInfo> listed;
    try {
      listed = durables.list(sc, prefix);
    } catch (StorageException ex) {
      LOG.warn("Listing {} from the catalog only: {}", sc, ex.getMessage());
      return;
    }
    for (Map.Entry<String, DurableStore.ObjectInfo> o : listed.entrySet()) {
      String path = o.getKey();
      if (placement.classOf(path).orElse(null) != sc || !path.startsWith(prefix) || catalog.get(path) != null) {
        continue;
      }
      DurableEntry e = DurableEntry.listed(path, sc, o.getValue().size(), o.getValue().lastModified());
      if (!e.isExpired(now) && !catalog.wasRemovedWhileIndexing(sc, path)) {
        catalog.addIfAbsent(e);
      }
    }
  }
}
