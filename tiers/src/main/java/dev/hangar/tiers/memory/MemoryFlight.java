package dev.hangar.tiers.memory;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import dev.hangar.tiers.ipc.MessageHeader;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.ArrowBuf;

/**
 * A flight held in memory as the messages its client sent: headers (and app_metadata) on the heap,
 * each body in one allocation. Readers get retained references to the bodies, never copies.
 */
final class MemoryFlight implements StoredFlight {
  private final FlightSchema schema;
  private final MessageHeader[] headers;
  private final byte[][] appMetadata; // null if no message had any
  private final ArrowBuf[] bodies; // one allocation each; null for empty bodies
  private final long rows;
  private final int batches;
  private final long bytes;
  private final long heapBytes;
  private final long bodyBytes;
  private final Capacity capacity;
  private final AtomicLong tierHeapBytes;
  private final AtomicBoolean freed = new AtomicBoolean();

  MemoryFlight(FlightSchema schema, MessageHeader[] headers, byte[][] appMetadata, ArrowBuf[] bodies, long rows,
      int batches, long bytes, long heapBytes, long bodyBytes, Capacity capacity, AtomicLong tierHeapBytes) {
    this.schema = schema;
    this.headers = headers;
    this.appMetadata = appMetadata;
    this.bodies = bodies;
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
        if (freed.get()) {
          throw new IllegalStateException("Cannot read a freed flight");
        }
        if (next >= headers.length) {
          return null;
        }
        int i = next++;
        ArrowBuf body = bodies[i];
        BufferBody b = null;
        if (body != null) {
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
    if (freed.compareAndSet(false, true)) {
      close(java.util.Arrays.asList(bodies));
      tierHeapBytes.addAndGet(-heapBytes);
      capacity.release(bytes);
    }
  }

  static void close(java.util.List<ArrowBuf> buffers) {
    for (ArrowBuf b : buffers) {
      if (b != null) {
        b.close();
      }
    }
  }
}
