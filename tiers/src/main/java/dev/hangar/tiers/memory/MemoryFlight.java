package dev.hangar.tiers.memory;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.ipc.Body;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.HeapBody;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import dev.hangar.tiers.ipc.MessageHeader;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.ArrowBuf;

/**
 * A flight held in memory as the messages its client sent: headers (and app_metadata) on the heap,
 * each body in one allocation, or on the heap if it is small ({@link MemoryTier#HEAP_BODY_MAX}). Readers
 * get retained references to the bodies, never copies.
 */
final class MemoryFlight implements StoredFlight {
  private final FlightSchema schema;
  private final MessageHeader[] headers;
  private final byte[][] appMetadata; // null if no message had any
  private final ArrowBuf[] bodies; // one allocation each; null for empty and small bodies (all null: no array)
  private final byte[][] heapBodies; // small bodies (MemoryTier.HEAP_BODY_MAX); null if there are none
  private final long rows;
  private final int batches;
  private final long bytes;
  private final long heapBytes;
  private final long bodyBytes;
  private final Capacity capacity;
  private final AtomicLong tierHeapBytes;
  // A field, not an AtomicBoolean: a node may hold millions of tiny flights, and each object counts.
  private static final java.util.concurrent.atomic.AtomicIntegerFieldUpdater<MemoryFlight> FREED =
      java.util.concurrent.atomic.AtomicIntegerFieldUpdater.newUpdater(MemoryFlight.class, "freed");
  private volatile int freed;

  MemoryFlight(FlightSchema schema, MessageHeader[] headers, byte[][] appMetadata, ArrowBuf[] bodies, byte[][] heapBodies, long rows,
      int batches, long bytes, long heapBytes, long bodyBytes, Capacity capacity, AtomicLong tierHeapBytes) {
    this.schema = schema;
    this.headers = headers;
    this.appMetadata = appMetadata;
    this.bodies = allNull(bodies) ? null : bodies;
    this.heapBodies = heapBodies;
    this.rows = rows;
    this.batches = batches;
    this.bytes = bytes;
    this.heapBytes = heapBytes;
    this.bodyBytes = bodyBytes;
    this.capacity = capacity;
    this.tierHeapBytes = tierHeapBytes;
  }

  @Override
  public StorageType storageType() {
    return StorageType.MEMORY;
  }

  @Override
  public FlightSchema schema() {
    return schema;
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public int batches() {
    return batches;
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
  public MessageCursor cursor() {
    return new MessageCursor() {
      private int next;

      @Override
      public Message next() {
        if (freed != 0) {
          throw new IllegalStateException("Cannot read a freed flight");
        }
        if (next >= headers.length) {
          return null;
        }
        int i = next++;
        ArrowBuf body = bodies == null ? null : bodies[i];
        Body b = null;
        if (heapBodies != null && heapBodies[i] != null) {
          b = new HeapBody(heapBodies[i]);
        } else if (body != null) {
          body.getReferenceManager().retain();
          b = new BufferBody(body, headers[i].bodyLength());
        }
        return new Message(headers[i], appMetadata == null ? null : appMetadata[i], b);
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void free() {
    if (FREED.compareAndSet(this, 0, 1)) {
      if (bodies != null) {
        close(java.util.Arrays.asList(bodies));
      }
      tierHeapBytes.addAndGet(-heapBytes);
      capacity.release(bytes);
    }
  }

  private static boolean allNull(ArrowBuf[] bodies) {
    for (ArrowBuf b : bodies) {
      if (b != null) {
        return false;
      }
    }
    return true;
  }

  static void close(java.util.List<ArrowBuf> buffers) {
    for (ArrowBuf b : buffers) {
      if (b != null) {
        b.close();
      }
    }
  }
}
