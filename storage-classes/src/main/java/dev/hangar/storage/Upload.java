package dev.hangar.storage;

import dev.hangar.config.Sizes;
import dev.hangar.config.TierConfig;
import dev.hangar.config.UploadSpill;
import dev.hangar.limits.UsageLedger;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * A put in progress: messages (checked by the caller, see {@code MessageValidator}) go into the chosen
 * tier as they arrive, and the flight becomes visible
 * only at {@link #commit()}. {@link #abort()} (or closing an uncommitted upload) leaves nothing.
 * Used by one thread.
 */
public final class Upload implements AutoCloseable {
  private final FlightStore store;
  private final String path;
  private final StorageClass storageClass;
  private final FlightSchema schema;
  private int tierIndex;
  private FlightWriter writer;
  private final boolean weakSlot;
  private final Durables.Sink sink; // strong classes: the durable copy, written as batches arrive
  private final UsageLedger.Reservation quota; // null if no limit policy governs the path
  private boolean finished;
  private dev.hangar.tiers.ipc.MessageValidator javaValidator; // for append(ArrowRecordBatch)

  Upload(FlightStore store, String path, StorageClass storageClass, int tierIndex, FlightSchema schema, boolean weakSlot,
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

  public FlightSchema schema() {
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
   * Takes ownership of {@code message}. If it would outgrow the current tier, what has arrived moves
   * to the class's next tier first ({@code uploadSpill: spill}), or the put fails; if it would
   * break a limit policy's quota the put fails ({@link dev.hangar.limits.QuotaExceededException}).
   * On failure the message is closed and the upload must be aborted.
   */
  public void append(Message message) {
    try {
      if (finished) {
        throw new IllegalStateException("Cannot append to a finished upload of " + path);
      }
      while (true) {
        TierConfig config = storageClass.tier(tierIndex);
        Tier tier = tier();
        long after = writer.bytes() + tier.weigh(message);
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
      store.chargeQuota(quota, message.bodyLength());
      if (sink != null) {
        message = rereadable(message);
        sink.append(message); // copies it out; fails the put at once if the store is down
      }
    } catch (RuntimeException | Error e) {
      message.close();
      throw e;
    }
    writer.append(message);
  }

  /**
   * Encodes {@code batch}, data Hangar or an in-process producer holds as Arrow Java vectors, into a
   * record batch message and appends it; closes the batch.
   */
  public void append(org.apache.arrow.vector.ipc.message.ArrowRecordBatch batch) {
    try (batch) {
      if (javaValidator == null) {
        javaValidator = new dev.hangar.tiers.ipc.MessageValidator(schema);
      }
      BufferAllocator allocator = batch.getBuffers().isEmpty() ? null : batch.getBuffers().get(0).getReferenceManager().getAllocator();
      append(dev.hangar.tiers.ipc.JavaMessages.recordBatch(batch, javaValidator, allocator));
    }
  }

  /** {@code message} with a body that can be read twice (the durable copy and the tier), copying it if need be. */
  private Message rereadable(Message message) {
    if (message.body() == null || message.body().rereadable()) {
      return message;
    }
    try (message) {
      ArrowBuf copy = store.workingAllocator().buffer(message.bodyLength());
      try {
        message.body().copyTo(copy, 0);
      } catch (RuntimeException | Error e) {
        copy.close();
        throw e;
      }
      return new Message(message.header(), message.appMetadata(), new BufferBody(copy, message.bodyLength()));
    }
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
