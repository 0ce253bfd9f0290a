package dev.hangar.storage;

import dev.hangar.config.Sizes;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.config.UploadSpill;
import dev.hangar.storage.admission.Admission;
import dev.hangar.storage.durability.Commits;
import dev.hangar.storage.eviction.CapacityEviction;
import dev.hangar.storage.eviction.ScopeEviction;
import dev.hangar.storage.idempotency.IdempotentPuts;
import dev.hangar.storage.placement.Placement;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.JavaMessages;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageValidator;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * A put in progress: messages (checked by the caller, see {@code MessageValidator}) go into the
 * chosen tier as they arrive, and the flight becomes visible only at {@link #commit()}. {@link
 * #abort()} (or closing an uncommitted upload) leaves nothing. Used by one thread.
 *
 * <p>It works with the policies directly: {@link Placement} for its tiers, {@link CapacityEviction}
 * for room in them, {@link ScopeEviction} for its limit-policy quota, {@link Commits} to commit;
 * what admission gave it ({@link Admission.Grant}) it gives back if it does not commit.
 */
public final class Upload implements AutoCloseable {
  /** The policies an upload uses. */
  record Parts(Placement placement, CapacityEviction capacity, ScopeEviction scopes, Commits commits,
      BufferAllocator workingAllocator, Map<StorageType, StorageTypeCounters> counters) {}

  private final Parts parts;
  private final String path;
  private final StorageClass storageClass;
  private final FlightSchema schema;
  private final Admission.Grant grant; // null for a replay
  private final IdempotentPuts.Owner owner; // null unless the put carries an idempotency key
  private final FlightSummary replayed; // the earlier put's result, when this one repeats it
  private int tierIndex;
  private FlightWriter writer;
  private boolean finished;
  private MessageValidator javaValidator; // for append(ArrowRecordBatch)

  Upload(Parts parts, String path, FlightSchema schema, Admission.Grant grant, IdempotentPuts.Owner owner) {
    this.parts = parts;
    this.path = path;
    this.storageClass = grant.storageClass();
    this.tierIndex = grant.tierIndex();
    this.schema = schema;
    this.grant = grant;
    this.owner = owner;
    this.replayed = null;
    this.writer = tier().newWriter(path, schema, this::reserve);
  }

  /** A retried put whose key an earlier put already used: it takes its messages, stores nothing, and commits to {@code earlier}. */
  private Upload(String path, FlightSchema schema, FlightSummary earlier) {
    this.parts = null;
    this.path = path;
    this.storageClass = null;
    this.schema = schema;
    this.grant = null;
    this.owner = null;
    this.replayed = earlier;
  }

  static Upload replay(String path, FlightSchema schema, FlightSummary earlier) {
    return new Upload(path, schema, earlier);
  }

  /** Whether this put repeats an earlier one with the same idempotency key (it stores nothing). */
  public boolean isReplay() {
    return replayed != null;
  }

  private Tier tier() {
    return parts.placement().tier(storageClass, tierIndex);
  }

  public String path() {
    return path;
  }

  public FlightSchema schema() {
    return schema;
  }

  public long rows() {
    return replayed != null ? 0 : writer.rows();
  }

  public long bytes() {
    return replayed != null ? 0 : writer.bytes();
  }

  /** The storage type the upload is writing to now (it changes when the upload spills). */
  public StorageType storageType() {
    return replayed != null ? replayed.storageType() : tier().type();
  }

  /**
   * Takes ownership of {@code message}. If it would outgrow the current tier, what has arrived moves
   * to the class's next tier first ({@code uploadSpill: spill}), or the put fails; if it would
   * break a limit policy's quota the put fails ({@link dev.hangar.limits.QuotaExceededException}).
   * On failure the message is closed and the upload must be aborted.
   */
  public void append(Message message) {
    if (replayed != null) {
      message.close();
      return;
    }
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
        boolean last = tierIndex + 1 >= storageClass.tierCount();
        if (config.uploadSpill() == UploadSpill.REJECT || last) {
          String limit = overMax
              ? "maxFlightSize " + Sizes.format(config.maxFlightSize()) + " of tier " + config.storage()
              : "the whole capacity of storage " + config.storage() + " (" + Sizes.format(tier.capacity().limit()) + ")";
          String why = config.uploadSpill() == UploadSpill.REJECT ? " (uploadSpill: reject)"
              : last && storageClass.tierCount() > 1 ? ", its last tier" : "";
          throw new FlightTooLargeException("Cannot store flight \"%s\": it outgrew %s in %s%s", path, limit, storageClass, why);
        }
        spill();
      }
      parts.scopes().charge(grant.quota(), message.bodyLength());
      if (grant.sink() != null) {
        message = rereadable(message);
        grant.sink().append(message); // copies it out; fails the put at once if the store is down
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
  public void append(ArrowRecordBatch batch) {
    try (batch) {
      if (javaValidator == null) {
        javaValidator = new MessageValidator(schema);
      }
      BufferAllocator allocator = batch.getBuffers().isEmpty() ? null : batch.getBuffers().get(0).getReferenceManager().getAllocator();
      append(JavaMessages.recordBatch(batch, javaValidator, allocator));
    }
  }

  /** {@code message} with a body that can be read twice (the durable copy and the tier), copying it if need be. */
  private Message rereadable(Message message) {
    if (message.body() == null || message.body().rereadable()) {
      return message;
    }
    try (message) {
      ArrowBuf copy = parts.workingAllocator().buffer(message.bodyLength());
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
    storageClass.spills.increment();
    parts.counters().get(tier().type()).spills.increment();
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
    parts.capacity().reserve(capacity, bytes, path);
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
    if (replayed != null) {
      return replayed;
    }
    StoredFlight copy;
    try {
      copy = writer.commit();
    } catch (RuntimeException e) {
      storageClass.rejectedPuts.increment();
      failed();
      throw e;
    }
    FlightSummary summary;
    try {
      summary = FlightSummary.of(grant.replica()
          ? parts.commits().commitReplica(path, storageClass, tierIndex, copy, grant.quota(), grant.replicaOf())
          : parts.commits().commit(path, storageClass, tierIndex, copy, grant.sink(), grant.quota(), grant.idempotencyKey()));
    } catch (RuntimeException e) {
      failed();
      throw e;
    }
    if (owner != null) {
      owner.succeeded(summary);
    }
    return summary;
  }

  private void failed() {
    grant.release();
    if (owner != null) {
      owner.failed();
    }
  }

  /** Discards what was written. Idempotent; a no-op after commit. */
  public void abort() {
    if (!finished) {
      finished = true;
      if (replayed != null) {
        return;
      }
      writer.abort();
      storageClass.rejectedPuts.increment();
      failed();
    }
  }

  @Override
  public void close() {
    abort();
  }
}
