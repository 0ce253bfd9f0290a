package dev.hangar.tiers.memory;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Flights held in memory as the IPC messages their clients sent (see {@link MemoryFlight}).
 *
 * <p>Accounting: a flight weighs its message bodies as allocated (one allocation each, accounted as
 * the root's rounding policy says; {@link dev.hangar.tiers.Allocators} makes that Netty's real size
 * class) plus the heap bytes of its message headers and app_metadata. The schema message is the
 * catalog's, like the path, not counted here; {@link Capacity#used()} equals {@link #allocatedBytes()} + {@link #heapBytes()} once no
 * upload is in progress. Bytes are reserved before they are taken: the allocator's limit is never
 * what stops a put.
 */
public final class MemoryTier implements Tier {
  /** What a heap byte array costs beyond its contents (object header and length). */
  static final int ARRAY_OVERHEAD = 16;

  /** Bodies up to this many bytes are kept on the heap ({@link dev.hangar.tiers.ipc.HeapBody}). */
  static final int HEAP_BODY_MAX = 512;

  private final BufferAllocator allocator;
  private final Capacity capacity;
  private final AtomicLong heapBytes = new AtomicLong();

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

  /** What the allocator itself counts: message bodies. */
  public long allocatedBytes() {
    return allocator.getAllocatedMemory();
  }

  /** Everything the tier holds: bodies and heap bytes; equal to {@code capacity().used()} when no upload runs. */
  public long heldBytes() {
    return allocatedBytes() + heapBytes();
  }

  /** Heap bytes of stored headers, app_metadata and small bodies. */
  public long heapBytes() {
    return heapBytes.get();
  }

  @Override
  public FlightWriter newWriter(String path, FlightSchema schema, Reserver reserver) {
    return new MemoryFlightWriter(schema, allocator, capacity, reserver, heapBytes);
  }

  @Override
  public long weigh(Message message) {
    return heapBytes(message.header().bytes(), message.appMetadata()) + bodySize(allocator, message.bodyLength());
  }

  /**
   * What a body of {@code length} bytes is accounted: a heap array if it is small, else its allocation
   * in {@code allocator} (its rounding policy).
   */
  static long bodySize(BufferAllocator allocator, long length) {
    if (length == 0) {
      return 0;
    }
    return onHeap(length) ? ARRAY_OVERHEAD + ((length + 7) & ~7L) : allocator.getRoundingPolicy().getRoundedSize(length);
  }

  static boolean onHeap(long length) {
    return length > 0 && length <= HEAP_BODY_MAX;
  }

  /**
   * What one record batch message of {@code batch} weighs in a memory tier allocating from {@code
   * allocator}'s root (for sizing tests and benchmarks).
   */
  public static long sizeOf(org.apache.arrow.vector.ipc.message.ArrowRecordBatch batch, BufferAllocator allocator) {
    int header = org.apache.arrow.vector.ipc.message.MessageSerializer.serializeMetadata(batch).remaining();
    return ARRAY_OVERHEAD + header + bodySize(allocator, batch.computeBodyLength());
  }

  static long heapBytes(byte[] header, byte[] appMetadata) {
    return ARRAY_OVERHEAD + header.length + (appMetadata == null ? 0 : ARRAY_OVERHEAD + appMetadata.length);
  }

  @Override
  public void close() {
    allocator.close();
  }
}
