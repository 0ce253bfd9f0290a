package dev.hangar.tiers.disk;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import dev.hangar.tiers.ipc.MessageHeader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.util.AutoCloseables;

/**
 * A committed flight file. For {@code disk_mapped} the file's bodies are mapped at open, in regions of
 * up to {@link #REGION} bytes (a larger body gets a region of its own), and readers get slices of the
 * mapping (nothing is copied); for {@code disk} a cursor reads each body with ordinary file I/O into a
 * fresh buffer. Headers and app_metadata are kept on the heap. {@link #free()} unmaps, deletes the
 * file and releases its bytes.
 */
final class IpcFileFlight implements StoredFlight {
  static final long REGION = 1L << 30;

  private final DiskTier tier;
  private final Path file;
  private final FlightSchema schema;
  private final MessageHeader[] headers;
  private final byte[][] appMetadata;
  private final long[] bodyOffsets;
  private final long rows;
  private final int batches;
  private final long bytes;
  private final long bodyBytes;
  private final ArrowBuf[] mapped; // disk_mapped only: each message's body as a slice of its region, null if empty
  private final List<ArrowBuf> regions;
  private final AtomicBoolean freed = new AtomicBoolean();

  private IpcFileFlight(DiskTier tier, Path file, FlightSchema schema, MessageHeader[] headers, byte[][] appMetadata,
      long[] bodyOffsets, long rows, int batches, long bytes, long bodyBytes, ArrowBuf[] mapped, List<ArrowBuf> regions) {
    this.tier = tier;
    this.file = file;
    this.schema = schema;
    this.headers = headers;
    this.appMetadata = appMetadata;
    this.bodyOffsets = bodyOffsets;
    this.rows = rows;
    this.batches = batches;
    this.bytes = bytes;
    this.bodyBytes = bodyBytes;
    this.mapped = mapped;
    this.regions = regions;
  }

  static IpcFileFlight open(DiskTier tier, Path file, FlightSchema schema, MessageHeader[] headers, byte[][] appMetadata,
      long[] bodyOffsets, long rows, int batches, long bytes, long bodyBytes) {
    ArrowBuf[] mapped = null;
    List<ArrowBuf> regions = new ArrayList<>();
    if (tier.type() == StorageType.DISK_MAPPED) {
      mapped = new ArrowBuf[headers.length];
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        int i = 0;
        while (i < headers.length) {
          if (headers[i].bodyLength() == 0) {
            i++;
            continue;
          }
          long start = bodyOffsets[i];
          int j = i;
          long end = start + headers[i].bodyLength();
          while (j + 1 < headers.length && (headers[j + 1].bodyLength() == 0
              || bodyOffsets[j + 1] + headers[j + 1].bodyLength() - start <= REGION)) {
            j++;
            if (headers[j].bodyLength() > 0) {
              end = bodyOffsets[j] + headers[j].bodyLength();
            }
          }
          ArrowBuf region = tier.allocator().wrapForeignAllocation(
              new Mapping(channel.map(FileChannel.MapMode.READ_ONLY, start, end - start)));
          regions.add(region);
          for (int k = i; k <= j; k++) {
            if (headers[k].bodyLength() > 0) {
              mapped[k] = region.slice(bodyOffsets[k] - start, headers[k].bodyLength());
            }
          }
          i = j + 1;
        }
      } catch (IOException | RuntimeException e) {
        AutoCloseables.closeNoChecked(() -> AutoCloseables.close(regions));
        tier.capacity().release(bytes);
        deleteQuietly(file);
        throw e instanceof IOException io ? new UncheckedIOException("Cannot map flight file " + file, io) : (RuntimeException) e;
      }
    }
    return new IpcFileFlight(tier, file, schema, headers, appMetadata, bodyOffsets, rows, batches, bytes, bodyBytes, mapped, regions);
  }

  @Override
  public StorageType storageType() {
    return tier.type();
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

  Path file() {
    return file;
  }

  @Override
  public MessageCursor cursor() {
    return new MessageCursor() {
      private int next;
      private FileChannel channel;

      @Override
      public Message next() {
        checkNotFreed();
        if (next >= headers.length) {
          return null;
        }
        int i = next++;
        MessageHeader h = headers[i];
        byte[] app = appMetadata == null ? null : appMetadata[i];
        if (h.bodyLength() == 0) {
          return new Message(h, app, null);
        }
        if (mapped != null) {
          ArrowBuf body = mapped[i];
          body.getReferenceManager().retain();
          return new Message(h, app, new BufferBody(body, h.bodyLength()));
        }
        ArrowBuf body = tier.allocator().buffer(h.bodyLength());
        try {
          if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.READ);
          }
          long done = 0;
          while (done < h.bodyLength()) {
            int n = (int) Math.min(h.bodyLength() - done, 1 << 30);
            ByteBuffer view = body.nioBuffer(done, n);
            while (view.hasRemaining()) {
              if (channel.read(view, bodyOffsets[i] + done + view.position()) < 0) {
                throw new IOException("unexpected end of file");
              }
            }
            done += n;
          }
          return new Message(h, app, BufferBody.allocated(body, h.bodyLength()));
        } catch (IOException | RuntimeException e) {
          body.close();
          throw e instanceof IOException io ? new UncheckedIOException("Cannot read flight file " + file + ": " + io.getMessage(), io)
              : (RuntimeException) e;
        }
      }

      @Override
      public void close() {
        if (channel != null) {
          try {
            channel.close();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    };
  }

  private void checkNotFreed() {
    if (freed.get()) {
      throw new IllegalStateException("Cannot read a freed flight");
    }
  }

  @Override
  public void free() {
    if (freed.compareAndSet(false, true)) {
      AutoCloseables.closeNoChecked(() -> AutoCloseables.close(regions));
      deleteQuietly(file);
      tier.capacity().release(bytes);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete flight file " + file, e);
    }
  }

  /** A mapped region as an Arrow allocation; releasing it unmaps at once rather than at GC. */
  private static final class Mapping extends ForeignAllocation {
    private MappedByteBuffer region;

    Mapping(MappedByteBuffer region) {
      super(region.capacity(), MemoryUtil.getByteBufferAddress(region));
      this.region = region;
    }

    @Override
    protected void release0() {
      Unmapper.unmap(region);
      region = null;
    }
  }

  /** sun.misc.Unsafe.invokeCleaner, the one supported way to unmap before GC (JDK 9+). */
  private static final class Unmapper {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
      Object unsafe = null;
      Method cleaner = null;
      try {
        Class<?> c = Class.forName("sun.misc.Unsafe");
        Field f = c.getDeclaredField("theUnsafe");
        f.setAccessible(true);
        unsafe = f.get(null);
        cleaner = c.getMethod("invokeCleaner", ByteBuffer.class);
      } catch (ReflectiveOperationException | RuntimeException e) {
        // fall back to unmapping at GC
      }
      UNSAFE = unsafe;
      INVOKE_CLEANER = cleaner;
    }

    static void unmap(MappedByteBuffer buffer) {
      if (INVOKE_CLEANER != null && buffer != null) {
        try {
          INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException e) {
          // the mapping goes when the buffer is collected
        }
      }
    }
  }
}
