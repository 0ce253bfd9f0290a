package dev.hangar.storage.eviction;

import dev.hangar.limits.QuotaExceededException;
import dev.hangar.limits.Scope;
import dev.hangar.limits.UsageLedger;
import dev.hangar.storage.EphemeralLimitException;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.quota.Quotas;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Keeps a limit-policy scope under its {@code ephemeral} limit: when bytes arriving for a put or a
 * restore would break it, other flights of the scope leave this node's tiers (lowest priority,
 * least recently used first; never one being read, nor a weak flight whose copy has not landed).
 * A durable flight keeps its durable copy (and its {@code total}); any other is gone.
 */
public final class ScopeEviction {
  private final Catalog catalog;
  private final Quotas quotas;
  private final CapacityEviction capacity;

  public ScopeEviction(Catalog catalog, Quotas quotas, CapacityEviction capacity) {
    this.catalog = catalog;
    this.quotas = quotas;
    this.capacity = capacity;
  }

  /**
   * Charges {@code bytes} to the scopes of {@code r} (null: no policy governs the flight): a {@code
   * total} or {@code flights} quota it breaks fails it ({@link QuotaExceededException}); a full
   * {@code ephemeral} limit first evicts in that scope, and fails ({@link EphemeralLimitException})
   * only if that cannot make room.
   */
  public void charge(UsageLedger.Reservation r, long bytes) {
    if (r == null) {
      return;
    }
    while (true) {
      Scope full;
      try {
        full = quotas.ledger().grow(r, bytes);
      } catch (QuotaExceededException e) {
        quotas.rejected(e.scope());
        throw e;
      }
      if (full == null) {
        return;
      }
      if (!evictIn(full, bytes)) {
        quotas.rejected(full);
        throw Quotas.ephemeralFull(full, r.path(), quotas.ledger().reservedEphemeral(r), bytes, quotas.ledger().usage(full));
      }
    }
  }

  /**
   * Drops flights of {@code scope} from the tiers until {@code bytes} more fit its {@code ephemeral}
   * limit. Returns whether asking the ledger again may succeed: it evicted something, or the scope
   * has room now; false only when the scope is full of flights that cannot go.
   */
  private boolean evictIn(Scope scope, long bytes) {
    long limit = scope.limits().ephemeral().getAsLong();
    for (int scan = 0; scan < 100; scan++) {
      List<Candidate> found = new ArrayList<>();
      for (String prefix : quotas.prefixesOf(scope)) {
        for (CatalogEntry e : catalog.range(prefix).values()) {
          if (e instanceof FlightVersion v && !v.pinned() && quotas.governs(scope, v.storageClass())) {
            found.add(new Candidate(v, v.priority(), v.lastAccess()));
          }
        }
      }
      PriorityQueue<Candidate> candidates = new PriorityQueue<>(found); // usually one or two must go: a heap, not a sort
      boolean freed = false;
      boolean raced = false; // a candidate left meanwhile (another put evicted or replaced it)
      for (Candidate c; (c = candidates.poll()) != null; ) {
        if (quotas.ledger().usage(scope).ephemeral() + bytes <= limit) {
          return true;
        }
        FlightVersion v = c.version();
        if (!v.tryEvict()) {
          raced |= catalog.get(v.path()) != v;
          continue; // being read, or gone meanwhile
        }
        capacity.dropClaimed(v);
        quotas.evicted(scope);
        freed = true;
      }
      if (freed || quotas.ledger().usage(scope).ephemeral() + bytes <= limit) {
        return true;
      }
      if (!raced) {
        return false;
      }
    }
    return false;
  }

  /** Eviction order in a scope: lowest priority, then least recently used, then the oldest version. */
  private record Candidate(FlightVersion version, int priority, Instant lastAccess) implements Comparable<Candidate> {
    @Override
    public int compareTo(Candidate o) {
      int c = Integer.compare(priority, o.priority);
      if (c == 0) {
        c = lastAccess.compareTo(o.lastAccess);
      }
      return c != 0 ? c : Long.compare(version.id(), o.version.id());
    }
  }
}
