package dev.hangar.tiers.memory;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.Tier;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ReferenceManager;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Flights held as Arrow record batches in one child allocator of the server's root.
 *
 * <p>Accounting: a batch weighs what its distinct allocations weigh, as the allocator accounts
 * them (Flight receives each message body as one allocation, and the batch's buffers are slices
 * of it), so {@link Capacity#used()} equals the allocator's own count once no upload is in
 * progress. Batches arrive in the Flight server's allocator and are transferred here, without
 * copying, only after their bytes are reserved: the allocator's limit is never what stops a put.
 */
public final class MemoryTier implements Tier {
  private final BufferAllocator allocator;
  private final Capacity capacity;

  /** A memory tier of {@code capacity} bytes, allocating from a child of {@code parent}. */
  public MemoryTier(BufferAllocator parent, long capacity) {
    this.allocator = parent.newChildAllocator("memory-tier", 0, capacity);
    this.capacity = new Capacity(StorageType.MEMORY, capacity);
  }

  @Override
  public StorageType type() {
    return StorageType.MEMORY;
  }

  @Override
  public Capacity capacity() {
    return capacity;
  }

  /** What the allocator itself counts: equal to {@code capacity().used()} when no upload is running. */
  public long allocatedBytes() {
    return allocator.getAllocatedMemory();
  }

  @Override
  public FlightWriter newWriter(String path, Schema schema, Reserver reserver) {
    return new MemoryFlightWriter(schema, allocator, capacity, reserver);
  }

  @Override
  public long weigh(ArrowRecordBatch batch) {
    return sizeOf(batch);
  }

  /** The bytes {@code batch} occupies: the sizes of its distinct underlying allocations. */
  public static long sizeOf(ArrowRecordBatch batch) {
    Map<ReferenceManager, Boolean> seen = new IdentityHashMap<>();
    long total = 0;
    for (ArrowBuf buf : batch.getBuffers()) {
      ReferenceManager rm = buf.getReferenceManager();
      if (seen.put(rm, Boolean.TRUE) == null) {
        total += rm.getSize();
      }
    }
    return total;
  }

  @Override
  public void close() {
    allocator.close();
  }
}
