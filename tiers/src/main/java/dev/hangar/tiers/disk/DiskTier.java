package dev.hangar.tiers.disk;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.Tier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flights as Arrow IPC files in one directory, holding the messages exactly as their clients sent
 * them: {@code disk_mapped} serves them through a memory map (bodies are slices of the mapping,
 * nothing is copied), {@code disk} with ordinary reads.
 *
 * <p>Files are written under a temporary name and renamed at commit; names come from a hash of
 * the flight path plus a counter, never from the path itself. The directory is a cache: files this
 * tier wrote before are deleted when it opens. Capacity counts the files' bytes, reserved before
 * each batch is written.
 */
public final class DiskTier implements Tier {
  static final String SUFFIX = ".arrow";
  static final String TEMP_SUFFIX = ".arrow.tmp";
  private static final Logger LOG = LoggerFactory.getLogger(DiskTier.class);

  private final StorageType type;
  private final Path dir;
  private final Capacity capacity;
  private final BufferAllocator allocator;
  private final AtomicLong counter = new AtomicLong();

  /**
   * Opens a disk tier in {@code dir}, deleting the flight files a previous run left there.
   *
   * @param parent the allocator that mapped files (disk_mapped) and read batches (disk) are
   *     accounted to; it must share its root with the allocators that serve reads
   */
  public DiskTier(StorageType type, Path dir, long capacity, BufferAllocator parent) {
    if (type == StorageType.MEMORY) {
      throw new IllegalArgumentException("Cannot open a disk tier of type memory");
    }
    this.type = type;
    this.dir = dir;
    this.capacity = new Capacity(type, capacity);
    try {
      Files.createDirectories(dir);
      wipe(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot prepare " + type + " directory " + dir + ": " + e.getMessage(), e);
    }
    this.allocator = parent.newChildAllocator(type.key() + "-tier", 0, Long.MAX_VALUE);
  }

  private static void wipe(Path dir) throws IOException {
    int deleted = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(SUFFIX) || name.endsWith(TEMP_SUFFIX)) {
          Files.delete(f);
          deleted++;
        } else {
          LOG.warn("Leaving {} alone in tier directory {}: not a Hangar flight file", name, dir);
        }
      }
    }
    if (deleted > 0) {
      LOG.info("Deleted {} flight files left in {} by a previous run (disk tiers are caches)", deleted, dir);
    }
  }

  @Override
  public StorageType type() {
    return type;
  }

  @Override
  public Capacity capacity() {
    return capacity;
  }

  public Path directory() {
    return dir;
  }

  /** What the tier's allocator holds: mappings of disk_mapped files; zero for disk when idle. */
  public long allocatedBytes() {
    return allocator.getAllocatedMemory();
  }

  @Override
  public long weigh(Message message) {
    return message.ipcBytes();
  }

  @Override
  public FlightWriter newWriter(String path, FlightSchema schema, Reserver reserver) {
    String base = hash(path) + "-" + counter.incrementAndGet();
    return new IpcFileWriter(this, dir.resolve(base + SUFFIX), dir.resolve(base + TEMP_SUFFIX), schema, reserver);
  }

  BufferAllocator allocator() {
    return allocator;
  }

  private static String hash(String path) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    allocator.close();
  }
}
