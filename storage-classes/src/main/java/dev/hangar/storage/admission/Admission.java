package dev.hangar.storage.admission;

import dev.hangar.config.Durability;
import dev.hangar.config.Sizes;
import dev.hangar.limits.QuotaExceededException;
import dev.hangar.limits.UsageLedger;
import dev.hangar.storage.DurableBackpressureException;
import dev.hangar.storage.DurableStoreUnavailableException;
import dev.hangar.storage.FlightPath;
import dev.hangar.storage.FlightTooLargeException;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.durability.Durables;
import dev.hangar.storage.placement.Placement;
import dev.hangar.storage.quota.Quotas;
import dev.hangar.tiers.ipc.FlightSchema;
import java.util.OptionalLong;

/**
 * Whether a put may start, and what it holds while it runs: the path must be valid and routed to a
 * class; a size announced up front must fit some tier; the limit policies reserve room for it; a
 * weak put takes a place in its store's queue (or is refused, backpressure); a strong put opens
 * its durable object. Each refusal is counted as a rejected put of the class.
 */
public final class Admission {
  private final Placement placement;
  private final Quotas quotas;
  private final Durables durables;

  public Admission(Placement placement, Quotas quotas, Durables durables) {
    this.placement = placement;
    this.quotas = quotas;
    this.durables = durables;
  }

  /** What an admitted put holds until it commits or aborts; {@link #release()} gives it back. */
  public final class Grant {
    private final StorageClass storageClass;
    private final int tierIndex;
    private final UsageLedger.Reservation quota;
    private final boolean weakSlot;
    private final Durables.Sink sink;
    private final String idempotencyKey;
    private final java.time.Instant replicaOf; // the primary's commit time, for a replica's copy; else null

    private Grant(StorageClass sc, int tierIndex, UsageLedger.Reservation quota, boolean weakSlot, Durables.Sink sink,
        String idempotencyKey, java.time.Instant replicaOf) {
      this.replicaOf = replicaOf;
      this.storageClass = sc;
      this.tierIndex = tierIndex;
      this.quota = quota;
      this.weakSlot = weakSlot;
      this.sink = sink;
      this.idempotencyKey = idempotencyKey;
    }

    public StorageClass storageClass() {
      return storageClass;
    }

    /** The tier the put starts in. */
    public int tierIndex() {
      return tierIndex;
    }

    /** The limit-policy reservation, or null if no policy governs the path. */
    public UsageLedger.Reservation quota() {
      return quota;
    }

    /** The durable object a strong put streams into, or null. */
    public Durables.Sink sink() {
      return sink;
    }

    public String idempotencyKey() {
      return idempotencyKey;
    }

    /** Whether this is a cluster replica's copy: kept in the tiers only, its durable copy is the primary's to write. */
    public boolean replica() {
      return replicaOf != null;
    }

    /** When the primary owner committed the version a replica's copy is of; null if this is not a replica. */
    public java.time.Instant replicaOf() {
      return replicaOf;
    }

    /** After a failed commit or an abort: gives back the reserved quota and the weak-queue place, and drops the sink. */
    public void release() {
      quotas.release(quota); // a no-op once the ledger committed it
      if (sink != null) {
        sink.close();
      }
      if (weakSlot) {
        durables.releaseWeakSlot(storageClass);
      }
    }
  }

  /**
   * Admits a cluster replica's copy of {@code path}: limit policies count it as they count any flight
   * the node holds, but it takes no weak-queue place and writes no durable object (the primary owner
   * does that once for all copies). {@code committedAt} is when the primary committed the version.
   */
  public Grant admitReplica(String path, OptionalLong expectedBytes, java.time.Instant committedAt) {
    FlightPath.validate(path);
    StorageClass sc = placement.requireClass(path);
    int tierIndex = firstTier(sc, path, expectedBytes);
    try {
      return new Grant(sc, tierIndex, quotas.reserve(sc, path, expectedBytes.orElse(0)), false, null, null, committedAt);
    } catch (QuotaExceededException e) {
      sc.rejectedPuts.increment();
      throw e;
    }
  }

  private int firstTier(StorageClass sc, String path, OptionalLong expectedBytes) {
    if (expectedBytes.isEmpty()) {
      return 0;
    }
    int tierIndex = placement.firstTierFor(sc, expectedBytes.getAsLong());
    if (tierIndex < 0) {
      sc.rejectedPuts.increment();
      throw new FlightTooLargeException("Cannot store flight \"%s\" of %s: it is larger than every tier of %s admits (%s)",
          path, Sizes.format(expectedBytes.getAsLong()), sc, placement.describeTiers(sc));
    }
    return tierIndex;
  }

  /**
   * Admits a put of {@code path} whose schema message is {@code schema}. {@code expectedBytes}, when
   * the client sent it, lets the put fail at once if no tier could hold it.
   */
  public Grant admit(String path, FlightSchema schema, OptionalLong expectedBytes, String idempotencyKey) {
    FlightPath.validate(path);
    StorageClass sc = placement.requireClass(path);
    int tierIndex = firstTier(sc, path, expectedBytes);
    if (sc.isDurable()) {
      durables.checkPath(sc, path);
    }
    UsageLedger.Reservation quota;
    try {
      quota = quotas.reserve(sc, path, expectedBytes.orElse(0));
    } catch (QuotaExceededException e) {
      sc.rejectedPuts.increment();
      throw e;
    }
    boolean weak = sc.config().durability() == Durability.WEAK;
    if (weak) {
      try {
        durables.takeWeakSlot(sc, path);
      } catch (DurableBackpressureException e) {
        quotas.release(quota);
        sc.rejectedPuts.increment();
        throw e;
      }
    }
    try {
      Durables.Sink sink = sc.config().durability() == Durability.STRONG ? durables.openSink(sc, path, schema) : null;
      return new Grant(sc, tierIndex, quota, weak, sink, idempotencyKey, null);
    } catch (RuntimeException e) {
      quotas.release(quota);
      if (weak) {
        durables.releaseWeakSlot(sc);
      }
      if (e instanceof DurableStoreUnavailableException) {
        sc.rejectedPuts.increment();
        sc.durableFailures.increment();
      }
      throw e;
    }
  }
}
