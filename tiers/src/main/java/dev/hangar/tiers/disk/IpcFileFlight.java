package dev.hangar.tiers.disk;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.BatchCursor;
import dev.hangar.tiers.HeldBatches;
import dev.hangar.tiers.StoredFlight;
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
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A committed flight file. For {@code disk_mapped} every batch's body is mapped once at open and
 * its buffers are slices of the mapping (readers copy nothing); for {@code disk} a cursor reads
 * each batch with ordinary file I/O into a fresh buffer. {@link #free()} unmaps, deletes the file
 * and releases its bytes.
 */
final class IpcFileFlight implements StoredFlight {
  private final DiskTier tier;
  private final Path file;
  private final Schema schema;
  private final List<ArrowBlock> blocks;
  private final long rows;
  private final long bytes;
  private final long bodyBytes;
  private final List<ArrowRecordBatch> mapped; // disk_mapped only
  private final AtomicBoolean freed = new AtomicBoolean();

  private IpcFileFlight(DiskTier tier, Path file, Schema schema, List<ArrowBlock> blocks, long rows, long bytes,
      long bodyBytes, List<ArrowRecordBatch> mapped) {
    this.tier = tier;
    this.file = file;
    this.schema = schema;
    this.blocks = blocks;
    this.rows = rows;
    this.bytes = bytes;
    this.bodyBytes = bodyBytes;
    this.mapped = mapped;
  }

  static IpcFileFlight open(DiskTier tier, Path file, Schema schema, List<ArrowBlock> blocks, long rows, long bytes, long bodyBytes) {
    List<ArrowRecordBatch> mapped = null;
    if (tier.type() == StorageType.DISK_MAPPED) {
      mapped = new ArrayList<>(blocks.size());
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
        for (ArrowBlock block : blocks) {
          mapped.add(mapBatch(channel, block, tier.allocator()));
        }
      } catch (IOException | RuntimeException e) {
        List<ArrowRecordBatch> opened = mapped;
        AutoCloseables.closeNoChecked(() -> AutoCloseables.close(opened));
        tier.capacity().release(bytes);
        deleteQuietly(file);
        throw e instanceof IOException io ? new UncheckedIOException("Cannot map flight file " + file, io) : (RuntimeException) e;
      }
    }
    return new IpcFileFlight(tier, file, schema, blocks, rows, bytes, bodyBytes, mapped);
  }

  /** One batch whose buffers are slices of a read-only mapping of its body. */
  private static ArrowRecordBatch mapBatch(FileChannel channel, ArrowBlock block, BufferAllocator allocator) throws IOException {
    MessageMetadataResult metadata = MessageSerializer.readMessage(new ReadChannel(channel.position(block.getOffset())));
    long bodyStart = block.getOffset() + block.getMetadataLength();
    if (block.getBodyLength() == 0) {
      return MessageSerializer.deserializeRecordBatch(metadata, allocator.getEmpty());
    }
    MappedByteBuffer region = channel.map(FileChannel.MapMode.READ_ONLY, bodyStart, block.getBodyLength());
    ArrowBuf body = allocator.wrapForeignAllocation(new Mapping(region));
    try {
      return MessageSerializer.deserializeRecordBatch(metadata, body); // takes over our reference to body
    } catch (IOException | RuntimeException e) {
      body.close();
      throw e;
    }
  }

  @Override
  public StorageType storageType() {
    return tier.type();
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
    return blocks.size();
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
  public BatchCursor cursor() {
    return mapped != null ? HeldBatches.cursor(mapped, freed::get) : new ReadingCursor();
  }

  /** Reads batch by batch with ordinary file I/O, each into a buffer the root then owns. */
  private final class ReadingCursor implements BatchCursor {
    private int next;
    private FileChannel channel;
    private VectorLoader loader;
    private VectorSchemaRoot loaderRoot;

    @Override
    public boolean loadNext(VectorSchemaRoot root) {
      checkNotFreed();
      if (next >= blocks.size()) {
        return false;
      }
      if (loaderRoot != root) {
        loader = new VectorLoader(root);
        loaderRoot = root;
      }
      try {
        if (channel == null) {
          channel = FileChannel.open(file, StandardOpenOption.READ);
        }
        ArrowBlock block = blocks.get(next++);
        try (ArrowRecordBatch batch = MessageSerializer.deserializeRecordBatch(new ReadChannel(channel.position(block.getOffset())), block, tier.allocator())) {
          loader.load(batch);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read flight file " + file + ": " + e.getMessage(), e);
      }
      return true;
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
  }

  @Override
  public void copyTo(dev.hangar.tiers.FlightWriter writer) {
    checkNotFreed();
    if (mapped != null) {
      HeldBatches.copyTo(mapped, writer);
      return;
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      for (ArrowBlock block : blocks) {
        writer.append(MessageSerializer.deserializeRecordBatch(new ReadChannel(channel.position(block.getOffset())), block, tier.allocator()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read flight file " + file + ": " + e.getMessage(), e);
    }
  }

  private void checkNotFreed() {
    if (freed.get()) {
      throw new IllegalStateException("Cannot read a freed flight");
    }
  }

  @Override
  public void free() {
    if (freed.compareAndSet(false, true)) {
      if (mapped != null) {
        AutoCloseables.closeNoChecked(() -> AutoCloseables.close(mapped));
      }
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
