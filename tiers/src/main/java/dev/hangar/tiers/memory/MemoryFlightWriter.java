package dev.hangar.tiers.memory;

import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageHeader;
import dev.hangar.tiers.ipc.MessageKind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Collects a flight's messages into the memory tier; single-threaded, like the upload it serves. Each
 * body is copied once into one allocation of its own. Accounting: per message, the heap bytes of its
 * header and app_metadata plus its body's allocation, reserved before it is taken.
 */
final class MemoryFlightWriter implements FlightWriter {
  private final FlightSchema schema;
  private final Capacity capacity;
  private final Tier.Reserver reserver;
  private final AtomicLong tierHeapBytes;
  private final BufferAllocator allocator;
  private final List<MessageHeader> headers = new ArrayList<>();
  private final List<byte[]> appMetadata = new ArrayList<>();
  private final List<ArrowBuf> bodies = new ArrayList<>();
  private List<byte[]> heapBodies; // small bodies, by message; null until there is one
  private boolean anyAppMetadata;
  private long rows;
  private int batches;
  private long bytes;
  private long heapBytes;
  private long bodyBytes;
  private boolean finished;

  MemoryFlightWriter(FlightSchema schema, BufferAllocator allocator, Capacity capacity, Tier.Reserver reserver, AtomicLong tierHeapBytes) {
    this.schema = schema;
    this.capacity = capacity;
    this.reserver = reserver;
    this.tierHeapBytes = tierHeapBytes;
    this.allocator = allocator;
  }

  private void reserve(long n) {
    if (n > 0) {
      reserver.reserve(capacity, n);
      bytes += n;
    }
  }

  @Override
  public void append(Message message) {
    try (message) {
      if (finished) {
        throw new IllegalStateException("Cannot append to a finished upload");
      }
      long heap = MemoryTier.heapBytes(message.header().bytes(), message.appMetadata());
      long length = message.bodyLength();
      long bodySize = MemoryTier.bodySize(allocator, length);
      reserve(heap + bodySize);
      ArrowBuf body = null;
      byte[] small = null;
      try {
        if (MemoryTier.onHeap(length)) {
          small = message.body().toBytes();
          heap += bodySize;
        } else if (length > 0) {
          body = message.bodyFor(allocator);
        }
      } catch (RuntimeException | Error e) {
        if (body != null) {
          body.close();
        }
        throw e;
      }
      heapBytes += heap;
      tierHeapBytes.addAndGet(heap);
      headers.add(message.header().stored());
      if (small != null) {
        if (heapBodies == null) {
          heapBodies = new ArrayList<>(java.util.Collections.nCopies(bodies.size(), (byte[]) null));
        }
      }
      if (heapBodies != null) {
        heapBodies.add(small);
      }
      appMetadata.add(message.appMetadata());
      anyAppMetadata |= message.appMetadata() != null;
      bodies.add(body);
      if (message.header().kind() == MessageKind.RECORD_BATCH) {
        rows += message.header().rows();
        batches++;
      }
      bodyBytes += message.bodyLength();
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
    return new MemoryFlight(schema, headers.toArray(new MessageHeader[0]), anyAppMetadata ? appMetadata.toArray(new byte[0][]) : null,
        bodies.toArray(new ArrowBuf[0]), heapBodies == null ? null : heapBodies.toArray(new byte[0][]), rows, batches, bytes, heapBytes, bodyBytes, capacity, tierHeapBytes);
  }

  @Override
  public void abort() {
    if (finished) {
      return;
    }
    finished = true;
    MemoryFlight.close(bodies);
    tierHeapBytes.addAndGet(-heapBytes);
    capacity.release(bytes);
  }
}
