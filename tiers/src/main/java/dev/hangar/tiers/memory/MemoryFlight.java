package dev.hangar.tiers.memory;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.BatchCursor;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.HeldBatches;
import dev.hangar.tiers.StoredFlight;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/** A flight held as record batches in the memory tier; readers share the buffers, never copy them. */
final class MemoryFlight implements StoredFlight {
  private final Schema schema;
  private final List<ArrowRecordBatch> batches;
  private final long rows;
  private final long bytes;
  private final long bodyBytes;
  private final Capacity capacity;
  private final AtomicBoolean freed = new AtomicBoolean();

  MemoryFlight(Schema schema, List<ArrowRecordBatch> batches, long rows, long bytes, long bodyBytes, Capacity capacity) {
    this.schema = schema;
    this.batches = batches;
    this.rows = rows;
    this.bytes = bytes;
    this.bodyBytes = bodyBytes;
    this.capacity = capacity;
  }

  @Override
  public StorageType storageType() {
    return StorageType.MEMORY;
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public int batches() {
    return batches.size();
  }

  @Override
  public long bytes() {
    return bytes;
  }

  @Override
  public long bodyBytes() {
    return bodyBytes;
  }

  @Override
  public BatchCursor cursor() {
    return HeldBatches.cursor(batches, freed::get);
  }

  @Override
  public void copyTo(dev.hangar.tiers.FlightWriter writer) {
    HeldBatches.copyTo(batches, writer);
  }

  @Override
  public void free() {
    if (freed.compareAndSet(false, true)) {
      AutoCloseables.closeNoChecked(() -> AutoCloseables.close(batches));
      capacity.release(bytes);
    }
  }
}
