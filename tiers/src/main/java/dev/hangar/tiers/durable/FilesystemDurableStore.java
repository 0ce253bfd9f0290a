package dev.hangar.tiers.durable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A durable store in a local or network directory. An object is a file at its key below the root;
 * a write goes to a hidden temporary file beside it, is fsynced, renamed over the key atomically,
 * and the directory is fsynced, so after a crash a key holds the old object or the new one, whole.
 *
 * <p>The root itself is never created after {@link #check()}: if it disappears (an unmounted
 * volume), writes fail with a clear error instead of filling the mount point.
 */
public final class FilesystemDurableStore implements DurableStore {
  /** Temporary files start with this, so listings and readers skip them. */
  static final String TEMP_PREFIX = ".hangar-";
  static final String TEMP_SUFFIX = ".tmp";
  /** The longest file name most filesystems take (ext4, xfs, btrfs, NFS). */
  private static final int NAME_MAX = 255;

  private final String id;
  private final Path root;

  public FilesystemDurableStore(String id, Path root) {
    this.id = id;
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String describe() {
    return "filesystem store \"" + id + "\" (" + root + ")";
  }

  @Override
  public void check() {
    try {
      Files.createDirectories(root);
      Path probe = root.resolve(TEMP_PREFIX + "probe-" + UUID.randomUUID() + TEMP_SUFFIX);
      Files.write(probe, new byte[] {1});
      Files.delete(probe);
    } catch (IOException e) {
      throw failure("cannot write to its directory", e);
    }
  }

  private Path file(String key) {
    Path file = root.resolve(key).normalize();
    if (!file.startsWith(root) || file.equals(root)) {
      throw new IllegalArgumentException("Key " + key + " escapes " + root);
    }
    return file;
  }

  @Override
  public ObjectUpload create(String key) {
    Path target = file(key);
    requireRoot();
    try {
      Files.createDirectories(target.getParent());
      Path temp = target.resolveSibling(TEMP_PREFIX + UUID.randomUUID() + TEMP_SUFFIX);
      FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      return new FileUpload(target, temp, channel);
    } catch (IOException e) {
      throw failure("cannot create " + key, e);
    }
  }

  private final class FileUpload implements ObjectUpload {
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final OutputStream stream;
    private boolean finished;

    FileUpload(Path target, Path temp, FileChannel channel) {
      this.target = target;
      this.temp = temp;
      this.channel = channel;
      this.stream = Channels.newOutputStream(channel);
    }

    @Override
    public OutputStream stream() {
      return stream;
    }

    @Override
    public void prepare() {
      if (finished || !channel.isOpen()) {
        return;
      }
      try {
        channel.force(true);
        channel.close();
      } catch (IOException e) {
        abort();
        throw failure("cannot write " + root.relativize(target), e);
      }
    }

    @Override
    public void commit() {
      if (finished) {
        throw new IllegalStateException("Upload of " + target + " already finished");
      }
      try {
        prepare();
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        finished = true;
        syncDirectory(target.getParent());
      } catch (IOException e) {
        abort();
        throw failure("cannot write " + root.relativize(target), e);
      }
    }

    @Override
    public void abort() {
      if (finished) {
        return;
      }
      finished = true;
      try {
        channel.close();
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        throw failure("cannot remove " + temp, e);
      }
    }
  }

  /** Temporary files are named {@code .hangar-<uuid>.tmp}; objects' keys (flight files) end in {@code .arrow}. */
  private static boolean isTemporary(Path file) {
    String name = file.getFileName().toString();
    return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
  }

  @Override
  public void checkKey(String key) {
    for (String segment : key.split("/")) {
      int bytes = segment.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > NAME_MAX) {
        throw new IllegalArgumentException("\"" + segment + "\" is " + bytes + " bytes, and a file name in " + describe()
            + " can have at most " + NAME_MAX);
      }
    }
  }

  private static void syncDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    Path file = file(key);
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      if (!a.isRegularFile()) {
        return Optional.empty();
      }
      return Optional.of(new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant()));
    } catch (NoSuchFileException | NotDirectoryException e) {
      requireRoot();
      return Optional.empty();
    } catch (IOException e) {
      throw failure("cannot read " + key, e);
    }
  }

  /** A missing object is only "not found" while the root is there; without it the store is down. */
  private void requireRoot() {
    if (!Files.isDirectory(root)) {
      throw new DurableStoreException(describe() + ": directory " + root + " is missing (was the volume unmounted?)");
    }
  }

  @Override
  public Optional<InputStream> read(String key) {
    try {
      return Optional.of(Files.newInputStream(file(key)));
    } catch (NoSuchFileException | NotDirectoryException e) {
      requireRoot();
      return Optional.empty();
    } catch (IOException e) {
      throw failure("cannot read " + key, e);
    }
  }

  @Override
  public byte[] readRange(String key, long offset, int length) {
    try (FileChannel channel = FileChannel.open(file(key), StandardOpenOption.READ)) {
      ByteBuffer buffer = ByteBuffer.allocate(length);
      while (buffer.hasRemaining()) {
        if (channel.read(buffer, offset + buffer.position()) < 0) {
          throw new IOException("unexpected end of file at " + (offset + buffer.position()));
        }
      }
      return buffer.array();
    } catch (IOException e) {
      throw failure("cannot read " + key, e);
    }
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    List<ObjectInfo> out = new ArrayList<>();
    forEach(prefix, out::add);
    out.sort(Comparator.comparing(ObjectInfo::key));
    return out;
  }

  @Override
  public void forEach(String prefix, java.util.function.Consumer<ObjectInfo> each) {
    // Walk only below the deepest directory the prefix names in full.
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : file(prefix.substring(0, slash));
    if (!Files.isDirectory(start)) {
      requireRoot();
      return;
    }
    try {
      Files.walkFileTree(start, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          String key = root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
          if (attrs.isRegularFile() && !isTemporary(file) && key.startsWith(prefix)) {
            each.accept(new ObjectInfo(key, attrs.size(), attrs.lastModifiedTime().toInstant()));
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return e instanceof NoSuchFileException ? FileVisitResult.CONTINUE : FileVisitResult.TERMINATE;
        }
      });
    } catch (IOException e) {
      throw failure("cannot list " + prefix, e);
    }
  }

  @Override
  public int removeAbandonedWrites(String prefix, java.time.Instant before) {
    int n = 0;
    for (Path temp : staleTemporaries(prefix, before)) {
      try {
        Files.deleteIfExists(temp);
        n++;
      } catch (IOException e) {
        throw failure("cannot remove " + temp, e);
      }
    }
    return n;
  }

  private List<Path> staleTemporaries(String prefix, java.time.Instant before) {
    List<Path> out = new ArrayList<>();
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : file(prefix.substring(0, slash));
    if (!Files.isDirectory(start)) {
      return out;
    }
    try {
      Files.walkFileTree(start, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          if (isTemporary(file) && attrs.lastModifiedTime().toInstant().isBefore(before)) {
            out.add(file);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public void delete(String key) {
    requireRoot();
    try {
      Files.deleteIfExists(file(key));
    } catch (IOException e) {
      throw failure("cannot delete " + key, e);
    }
  }

  private DurableStoreException failure(String what, IOException e) {
    return new DurableStoreException(describe() + ": " + what + ": " + e, e);
  }

  @Override
  public void close() {}
}
