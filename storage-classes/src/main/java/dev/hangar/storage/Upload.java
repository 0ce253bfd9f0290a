package dev.hangar.storage;

import dev.hangar.config.Sizes;
import dev.hangar.config.TierConfig;
import dev.hangar.config.UploadSpill;
import dev.hangar.limits.UsageLedger;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A put in progress: batches go into the chosen tier as they arrive, and the flight becomes visible
 * only at {@link #commit()}. {@link #abort()} (or closing an uncommitted upload) leaves nothing.
 * Used by one thread.
 */
public final class Upload implements AutoCloseable {
  private final FlightStore store;
  private final String path;
  private final StorageClass storageClass;
  private final Schema schema;
  private int tierIndex;
  private FlightWriter writer;
  private final boolean weakSlot;
  private final Durables.Sink sink; // strong classes: the durable copy, written as batches arrive
  private final UsageLedger.Reservation quota; // null if no limit policy governs the path
  private boolean finished;

  Upload(FlightStore store, String path, StorageClass storageClass, int tierIndex, Schema schema, boolean weakSlot,
      Durables.Sink sink, UsageLedger.Reservation quota) {
    this.store = store;
    this.path = path;
    this.storageClass = storageClass;
    this.tierIndex = tierIndex;
    this.schema = schema;
    this.weakSlot = weakSlot;
    this.sink = sink;
    this.quota = quota;
    this.writer = tier().newWriter(path, schema, this::reserve);
  }

  private Tier tier() {
    return store.tiers().get(storageClass.tier(tierIndex).storage());
  }

  public String path() {
    return path;
  }

  public Schema schema() {
    return schema;
  }

  public long rows() {
    return writer.rows();
  }

  public long bytes() {
    return writer.bytes();
  }

  /** The storage type the upload is writing to now (it changes when the upload spills). */
  public dev.hangar.config.StorageType storageType() {
    return tier().type();
  }

  /**
   * Takes ownership of {@code batch}. If it would outgrow the current tier, what has arrived moves
   * to the class's next tier first ({@code uploadSpill: spill}), or the put fails; if it would
   * break a limit policy's quota the put fails ({@link dev.hangar.limits.QuotaExceededException}).
   * On failure the batch is closed and the upload must be aborted.
   */
  public void append(ArrowRecordBatch batch) {
    try {
      if (finished) {
        throw new IllegalStateException("Cannot append to a finished upload of " + path);
      }
      while (true) {
        TierConfig config = storageClass.tier(tierIndex);
        Tier tier = tier();
        long after = writer.bytes() + tier.weigh(batch);
        boolean overMax = after > config.maxFlightSize();
        boolean overCapacity = after > tier.capacity().limit();
        if (!overMax && !overCapacity) {
          break;
        }
        boolean last = tierIndex + 1 >= storageClass.config().tiers().size();
        if (config.uploadSpill() == UploadSpill.REJECT || last) {
          String limit = overMax
              ? "maxFlightSize " + Sizes.format(config.maxFlightSize()) + " of tier " + config.storage()
              : "the whole capacity of storage " + config.storage() + " (" + Sizes.format(tier.capacity().limit()) + ")";
          String why = config.uploadSpill() == UploadSpill.REJECT ? " (uploadSpill: reject)" : last && storageClass.config().tiers().size() > 1 ? ", its last tier" : "";
          throw new FlightTooLargeException("Cannot store flight \"%s\": it outgrew %s in %s%s", path, limit, storageClass, why);
        }
        spill();
      }
      store.chargeQuota(quota, batch.computeBodyLength());
      if (sink != null) {
        sink.append(batch); // copies it out; fails the put at once if the store is down
      }
    } catch (RuntimeException | Error e) {
      batch.close();
      throw e;
    }
    writer.append(batch);
  }

  /** Moves what was written to the next tier; the rest of the stream follows it there. */
  private void spill() {
    store.uploadSpilled(storageClass, tier().type());
    StoredFlight partial = writer.commit();
    tierIndex++;
    writer = tier().newWriter(path, schema, this::reserve);
    try {
      partial.copyTo(writer);
    } finally {
      partial.free();
    }
  }

  private void reserve(Capacity capacity, long bytes) {
    store.reserve(capacity, bytes, path);
  }

  /**
   * Makes the flight visible, atomically replacing any flight at the same path, once its class's
   * durability allows: for {@code strong} after its durable copy is complete. If that fails the
   * put fails and nothing is visible.
   */
  public FlightSummary commit() {
    if (finished) {
      throw new IllegalStateException("Cannot commit a finished upload of " + path);
    }
    finished = true;
    StoredFlight copy;
    try {
      copy = writer.commit();
    } catch (RuntimeException e) {
      if (sink != null) {
        sink.close();
      }
      store.uploadAborted(storageClass, weakSlot, quota);
      throw e;
    }
    try {
      return store.commit(path, storageClass, tierIndex, copy, sink, quota);
    } catch (RuntimeException e) {
      store.commitFailed(weakSlot, storageClass, quota);
      throw e;
    }
  }

  /** Discards what was written. Idempotent; a no-op after commit. */
  public void abort() {
    if (!finished) {
      finished = true;
      writer.abort();
      if (sink != null) {
        sink.close();
      }
      store.uploadAborted(storageClass, weakSlot, quota);
    }
  }

  @Override
  public void close() {
    abort();
  }
}
