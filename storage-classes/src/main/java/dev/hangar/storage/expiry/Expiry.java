package dev.hangar.storage.expiry;

import dev.hangar.storage.StorageClass;
import dev.hangar.storage.StorageTypeCounters;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.quota.Quotas;
import dev.hangar.config.StorageType;
import java.time.Instant;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * TTL: a flight is invisible from its expiry on (every read checks), and leaves the catalog when
 * its time comes up in the {@link DueQueue} or a read finds it expired, whichever is first. The
 * durable copy of an expired durable flight is deleted in the background.
 */
public final class Expiry {
  private final Catalog catalog;
  private final Quotas quotas;
  private final Map<StorageType, StorageTypeCounters> counters;
  private final BiConsumer<StorageClass, String> durableExpired;
  private final DueQueue due = new DueQueue();

  /** @param durableExpired deletes the durable copy of an expired flight of a durable class (in the background) */
  public Expiry(Catalog catalog, Quotas quotas, Map<StorageType, StorageTypeCounters> counters,
      BiConsumer<StorageClass, String> durableExpired) {
    this.catalog = catalog;
    this.quotas = quotas;
    this.counters = counters;
    this.durableExpired = durableExpired;
  }

  /** Schedules an entry that entered the catalog, or whose expiry changed. */
  public void schedule(CatalogEntry e) {
    Instant at = e instanceof FlightVersion v ? v.expiresAt().orElse(null)
        : ((dev.hangar.storage.catalog.DurableEntry) e).expiresAt().orElse(null);
    if (at != null) {
      due.schedule(at, e.path());
    }
  }

  /** Removes the flights that expired by {@code now}; returns how many. */
  public int expireDue(Instant now) {
    int n = 0;
    for (String path : due.pollDue(now)) {
      CatalogEntry e = catalog.get(path);
      if (e != null && e.isExpired(now) && expire(e)) {
        n++;
      }
    }
    if (!quotas.isEmpty()) {
      quotas.ledger().expire(now); // flights only in a durable store stop counting when they expire
    }
    return n;
  }

  /** Removes {@code e}, found expired, if the catalog still maps its path to it. */
  public boolean expire(CatalogEntry e) {
    if (!catalog.remove(e)) {
      return false;
    }
    StorageClass sc = e.storageClass();
    sc.expirations.increment();
    if (e instanceof FlightVersion v) {
      quotas.gone(v.path(), v.id());
      counters.get(v.copy().storageType()).expirations.increment();
    } else {
      quotas.gone(e.path(), 0);
    }
    if (sc.isDurable()) {
      durableExpired.accept(sc, e.path());
    }
    return true;
  }

  /** Hints waiting in the queue (each flight with a TTL has at least one). */
  public int scheduled() {
    return due.size();
  }
}
