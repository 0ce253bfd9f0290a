package dev.hangar.storage;

import dev.hangar.config.Sizes;
import dev.hangar.config.TierConfig;
import dev.hangar.config.UploadSpill;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
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
  private final int tierIndex;
  private final Schema schema;
  private final FlightWriter writer;
  private boolean finished;

  Upload(FlightStore store, String path, StorageClass storageClass, int tierIndex, Tier tier, Schema schema) {
    this.store = store;
    this.path = path;
    this.storageClass = storageClass;
    this.tierIndex = tierIndex;
    this.schema = schema;
    this.writer = tier.newWriter(path, schema, this::reserve);
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

  /** Takes ownership of {@code batch}; on failure the batch is closed and the upload must be aborted. */
  public void append(ArrowRecordBatch batch) {
    if (finished) {
      batch.close();
      throw new IllegalStateException("Cannot append to a finished upload of " + path);
    }
    writer.append(batch);
  }

  private void reserve(Capacity capacity, long bytes) {
    TierConfig tier = storageClass.tier(tierIndex);
    long after = writer.bytes() + bytes;
    if (after > tier.maxFlightSize()) {
      String why =
          tier.uploadSpill() == UploadSpill.REJECT
              ? "(uploadSpill: reject)"
              : "and it is the last tier this build can spill to";
      throw new FlightTooLargeException(
          "Cannot store flight \"%s\": it outgrew maxFlightSize %s of tier %s in %s %s",
          path, Sizes.format(tier.maxFlightSize()), tier.storage(), storageClass, why);
    }
    if (after > capacity.limit()) {
      throw new FlightTooLargeException(
          "Cannot store flight \"%s\": it outgrew the whole capacity of storage %s (%s) in %s",
          path, capacity.type(), Sizes.format(capacity.limit()), storageClass);
    }
    store.reserve(capacity, bytes, path);
  }

  /** Makes the flight visible, atomically replacing any flight at the same path. */
  public FlightSummary commit() {
    if (finished) {
      throw new IllegalStateException("Cannot commit a finished upload of " + path);
    }
    finished = true;
    return store.install(path, storageClass, tierIndex, writer.commit());
  }

  /** Discards what was written. Idempotent; a no-op after commit. */
  public void abort() {
    if (!finished) {
      finished = true;
      writer.abort();
      storageClass.rejectedPuts.increment();
    }
  }

  @Override
  public void close() {
    abort();
  }
}
