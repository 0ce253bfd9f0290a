package dev.hangar.tiers.memory;

import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/** Collects batches into the memory tier's allocator; single-threaded, like the upload it serves. */
final class MemoryFlightWriter implements FlightWriter {
  private final Schema schema;
  private final BufferAllocator allocator;
  private final Capacity capacity;
  private final Tier.Reserver reserver;
  private final List<ArrowRecordBatch> batches = new ArrayList<>();
  private long rows;
  private long bytes;
  private long bodyBytes;
  private boolean finished;

  MemoryFlightWriter(Schema schema, BufferAllocator allocator, Capacity capacity, Tier.Reserver reserver) {
    this.schema = schema;
    this.allocator = allocator;
    this.capacity = capacity;
    this.reserver = reserver;
  }

  @Override
  public void append(ArrowRecordBatch batch) {
    if (finished) {
      batch.close();
      throw new IllegalStateException("Cannot append to a finished upload");
    }
    long size = MemoryTier.sizeOf(batch);
    try {
      reserver.reserve(capacity, size);
    } catch (RuntimeException | Error e) {
      batch.close();
      throw e;
    }
    try {
      long length = batch.computeBodyLength();
      int rowCount = batch.getLength();
      batches.add(batch.cloneWithTransfer(allocator));
      rows += rowCount;
      bytes += size;
      bodyBytes += length;
    } catch (RuntimeException | Error e) {
      capacity.release(size);
      batch.close();
      throw e;
    }
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public long bytes() {
    return bytes;
  }

  @Override
  public StoredFlight commit() {
    if (finished) {
      throw new IllegalStateException("Cannot commit a finished upload");
    }
    finished = true;
    return new MemoryFlight(schema, List.copyOf(batches), rows, bytes, bodyBytes, capacity);
  }

  @Override
  public void abort() {
    if (finished) {
      return;
    }
    finished = true;
    AutoCloseables.closeNoChecked(() -> AutoCloseables.close(batches));
    batches.clear();
    capacity.release(bytes);
  }
}
