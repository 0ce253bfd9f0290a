package dev.hangar.storage.durability;

import dev.hangar.limits.QuotaExceededException;
import dev.hangar.limits.UsageLedger;
import dev.hangar.storage.DurableStoreUnavailableException;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.DurableState;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.quota.Quotas;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit modes (DESIGN §5): how a put's copy becomes the flight at its path, by its class's
 * durability.
 * <ul>
 *   <li>{@code none}: the catalog maps it at once.
 *   <li>{@code strong}: the durable object, streamed while the put ran, is finished and sent with
 *       no lock held; then, under the path's lock, one call makes it visible and the catalog maps
 *       the flight. If the store fails, nothing is visible ({@link DurableStoreUnavailableException}).
 *   <li>{@code weak}: the catalog maps it at once, pinned in the tiers, and a background writer
 *       uploads its durable object, publishing it under the path's lock only if the flight is still
 *       the current version; it retries with backoff until it lands or the flight is gone.
 * </ul>
 */
public final class Commits {
  private static final Logger LOG = LoggerFactory.getLogger(Commits.class);

  private final Catalog catalog;
  private final Durables durables;
  private final Quotas quotas;
  private final Clock clock;

  public Commits(Catalog catalog, Durables durables, Quotas quotas, Clock clock) {
    this.catalog = catalog;
    this.durables = durables;
    this.quotas = quotas;
    this.clock = clock;
  }

  /**
   * Commits a put's {@code copy} of {@code path} into tier {@code tierIndex}. On failure the copy
   * and the sink are released and the rejection counted; the caller gives back the quota
   * reservation and the weak-queue place.
   */
  public FlightVersion commit(String path, StorageClass sc, int tierIndex, dev.hangar.tiers.StoredFlight copy, Durables.Sink sink,
      UsageLedger.Reservation quota, String idempotencyKey) {
    if (quota != null) {
      try {
        quotas.ledger().settle(quota, copy.bodyBytes()); // after this the ledger's commit cannot fail
      } catch (QuotaExceededException e) {
        quotas.rejected(e.scope());
        sc.rejectedPuts.increment();
        if (sink != null) {
          sink.close();
        }
        copy.free();
        throw e;
      }
    }
    switch (sc.config().durability()) {
      case NONE:
        return install(path, sc, tierIndex, copy, clock.instant(), null, quota);
      case STRONG: {
        Instant now = clock.instant();
        try {
          sink.prepare(now, sc.config().ttl().map(now::plus), idempotencyKey);
          return durables.locked(path, () -> {
            sink.publish();
            sc.durableWrites.increment();
            return install(path, sc, tierIndex, copy, now, DurableState.landed(sink.size(), idempotencyKey), quota);
          });
        } catch (RuntimeException e) {
          sink.close();
          copy.free();
          sc.rejectedPuts.increment();
          sc.durableFailures.increment();
          throw e;
        }
      }
      case WEAK:
        return durables.locked(path, () -> {
          FlightVersion v = install(path, sc, tierIndex, copy, clock.instant(), DurableState.pending(idempotencyKey), quota);
          durables.submitWeak(sc, new WeakWrite(sc, path, v.id()));
          return v;
        });
      default:
        throw new IllegalStateException("durability " + sc.config().durability());
    }
  }

  /**
   * Commits a cluster replica's {@code copy} of {@code path}: mapped at once, with no durable state of
   * its own whatever the class's durability (the primary owner wrote the durable copy, if any), as of
   * {@code committedAt}, the primary's commit time. A copy no newer than the version held here, or
   * than a delete of the path seen here, is refused: a late copy never replaces a newer put nor
   * brings back a deleted flight.
   *
   * @throws dev.hangar.storage.StaleCopyException if the copy is older (its bytes are freed)
   */
  public FlightVersion commitReplica(String path, StorageClass sc, int tierIndex, dev.hangar.tiers.StoredFlight copy,
      UsageLedger.Reservation quota, Instant committedAt) {
    return durables.locked(path, () -> {
      Instant deleted = tombstones.getIfPresent(path);
      boolean newerHere = catalog.get(path) instanceof FlightVersion v && !v.committedAt().isBefore(committedAt);
      if (newerHere || deleted != null && !deleted.isBefore(committedAt)) {
        copy.free();
        throw new dev.hangar.storage.StaleCopyException("Not storing the copy of \"%s\" committed at %s: this node %s", path,
            committedAt, newerHere ? "holds a version as new or newer" : "saw it deleted at " + deleted);
      }
      return settleReplica(path, sc, tierIndex, copy, quota, committedAt);
    });
  }

  /**
   * Notes that {@code path} was deleted at {@code at}, so that a replica's copy of an older version,
   * still on its way from another node, is refused ({@link #commitReplica}). Remembered for {@link
   * #TOMBSTONE_TIME}, far longer than any copy takes.
   */
  public void deleted(String path, Instant at) {
    tombstones.put(path, at);
  }

  /** How long a delete is remembered against late copies. */
  public static final java.time.Duration TOMBSTONE_TIME = java.time.Duration.ofMinutes(10);

  private final com.github.benmanes.caffeine.cache.Cache<String, Instant> tombstones = com.github.benmanes.caffeine.cache.Caffeine
      .newBuilder().expireAfterWrite(TOMBSTONE_TIME).maximumSize(1_000_000).build();

  private FlightVersion settleReplica(String path, StorageClass sc, int tierIndex, dev.hangar.tiers.StoredFlight copy,
      UsageLedger.Reservation quota, Instant committedAt) {
    if (quota != null) {
      try {
        quotas.ledger().settle(quota, copy.bodyBytes());
      } catch (QuotaExceededException e) {
        quotas.rejected(e.scope());
        sc.rejectedPuts.increment();
        copy.free();
        throw e;
      }
    }
    return install(path, sc, tierIndex, copy, committedAt, null, quota);
  }

  /** Makes a put's copy the flight at {@code path}; the ledger learns it before the catalog maps it. */
  private FlightVersion install(String path, StorageClass sc, int tierIndex, dev.hangar.tiers.StoredFlight copy, Instant committedAt,
      DurableState durable, UsageLedger.Reservation quota) {
    Optional<Instant> expiresAt = sc.config().ttl().map(committedAt::plus);
    FlightVersion v = new FlightVersion(path, sc, tierIndex, sc.tier(tierIndex).priority(), copy, committedAt, expiresAt,
        catalog.nextVersionId(), durable);
    if (quota != null) {
      quotas.ledger().commit(quota, copy.bodyBytes(), v.id(), expiresAt);
    }
    sc.puts.increment();
    catalog.install(v);
    return v;
  }

  /** Writes a weak flight's durable copy in the background, retrying with backoff until it lands or the flight is gone. */
  private final class WeakWrite implements Runnable {
    private final StorageClass sc;
    private final String path;
    private final long id;
    private int failures;

    WeakWrite(StorageClass sc, String path, long id) {
      this.sc = sc;
      this.path = path;
      this.id = id;
    }

    @Override
    public void run() {
      boolean done;
      try {
        done = attempt();
      } catch (RuntimeException e) {
        done = false;
        sc.durableFailures.increment();
        failures++;
        if (failures == 1 || failures % 20 == 0) {
          LOG.warn("Weak flight \"{}\": durable copy not written yet (attempt {}), will retry: {}", path, failures, e.getMessage());
        }
      }
      if (done) {
        durables.releaseWeakSlot(sc);
      } else {
        durables.retryWeak(sc, this, failures);
      }
    }

    /** True when nothing is left to do: the copy landed, or the flight was replaced, deleted or expired. */
    private boolean attempt() {
      FlightVersion v = catalog.acquire(path);
      if (v == null) {
        return true; // deleted (a weak flight is never evicted before it lands, only moved)
      }
      Durables.Sink sink;
      try {
        if (v.id() != id || v.durable() == null || v.durable().isLanded() || v.isExpired(clock.instant())) {
          return true;
        }
        sink = durables.upload(sc, path, v.copy(), v.committedAt(), v.expiresAt(), v.durable().idempotencyKey());
      } finally {
        v.releaseReader();
      }
      try {
        return durables.locked(path, () -> {
          CatalogEntry current = catalog.get(path);
          if (current instanceof FlightVersion c && c.id() == id) {
            sink.publish();
            c.durable().markLanded(sink.size());
            sc.durableWrites.increment();
          }
          return true; // published, or the flight moved on and this copy is not wanted
        });
      } finally {
        sink.close(); // a no-op once published
      }
    }
  }
}
