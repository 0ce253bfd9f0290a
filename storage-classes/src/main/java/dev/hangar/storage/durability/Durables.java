package dev.hangar.storage.durability;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import dev.hangar.config.DurableStoreConfig;
import dev.hangar.storage.DurableBackpressureException;
import dev.hangar.storage.DurableDataException;
import dev.hangar.storage.DurableStoreUnavailableException;
import dev.hangar.storage.FlightNotFoundException;
import dev.hangar.storage.InvalidFlightPathException;
import dev.hangar.storage.StorageClass;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.durable.DurableFileReader;
import dev.hangar.tiers.durable.DurableFileWriter;
import dev.hangar.tiers.durable.DurableMetadata;
import dev.hangar.tiers.durable.DurableStore;
import dev.hangar.tiers.durable.DurableStoreException;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable stores of a node, as the flight store uses them: where a flight's object lives
 * ({@code <durablePrefix>/<flight path>.arrow}), writing and reading the durable file format,
 * describing an object from its footer (a bounded cache), one lock per flight path that orders the
 * commit points of that path, and the bounded background queue of weak writes.
 *
 * <p>A path's lock is held only around a commit point: the one store call that makes an object
 * visible or deletes it (a multipart complete, a single small PUT, a rename, a DELETE) together with
 * the catalog change that goes with it. Uploading the data, reading footers and HEADs run before
 * it, with no lock held. See {@code FlightStore} for the whole lock order.
 */
public final class Durables implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Durables.class);
  static final String SUFFIX = ".arrow";
  /** How many bytes of an object's end are read at once to find its footer. */
  private static final int TAIL = 64 << 10;
  /** Heap the footer cache may hold (schemas and per-message app_metadata of recently read objects). */
  private static final long FOOTER_CACHE_BYTES = 64L << 20;

  private final Map<String, DurableStore> stores;
  private final Map<String, DurableStoreConfig> configs = new HashMap<>();
  private final Map<String, Semaphore> weakSlots = new HashMap<>();
  private final Map<String, ExecutorService> weakWriters = new HashMap<>();
  private final ScheduledExecutorService timers;
  private final BufferAllocator allocator;
  /** One lock per path while anyone holds or waits for it (weak values: unused locks are collected). */
  private final LoadingCache<String, ReentrantLock> locks = Caffeine.newBuilder().weakValues().build(p -> new ReentrantLock());
  /** Footers already read, by object key; an entry is used only for the same object version (size and time). */
  private final Cache<String, Described> described;
  private final AtomicInteger pendingWeak = new AtomicInteger();
  /** When each weak slot in use was taken (nanoTime), oldest first; slots are released in about that order. */
  private final java.util.concurrent.ConcurrentLinkedDeque<Long> weakSince = new java.util.concurrent.ConcurrentLinkedDeque<>();
  private final AtomicInteger uploadsOpen = new AtomicInteger();
  private final java.util.concurrent.atomic.LongAdder weakRetries = new java.util.concurrent.atomic.LongAdder();

  /**
   * @param stores the opened stores by id (closed with this object)
   * @param allocator where batches read back from a store are allocated before a tier takes them
   */
  public Durables(List<DurableStoreConfig> configs, Map<String, DurableStore> stores, BufferAllocator allocator) {
    this.stores = Map.copyOf(stores);
    this.allocator = allocator;
    AtomicInteger n = new AtomicInteger();
    for (DurableStoreConfig c : configs) {
      if (!stores.containsKey(c.id())) {
        continue;
      }
      this.configs.put(c.id(), c);
      weakSlots.put(c.id(), new Semaphore(c.weakQueue()));
      ThreadPoolExecutor pool = new ThreadPoolExecutor(c.writers(), c.writers(), 30, TimeUnit.SECONDS,
          new java.util.concurrent.LinkedBlockingQueue<>(), r -> daemon(r, "hangar-durable-" + c.id() + "-" + n.incrementAndGet()));
      pool.allowCoreThreadTimeOut(true);
      weakWriters.put(c.id(), pool);
    }
    this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "hangar-durable-timer"));
    this.described = Caffeine.newBuilder()
        .maximumWeight(FOOTER_CACHE_BYTES)
        .weigher((String k, Described d) -> d.weight())
        .recordStats()
        .build();
  }

  /** The footer cache, for its statistics. */
  public Cache<String, Described> footerCache() {
    return described;
  }

  /** Where message bodies are held while they travel between a durable store and a tier. */
  public BufferAllocator allocator() {
    return allocator;
  }

  /** No durable stores: every class must have durability none. */
  public static Durables none() {
    return new Durables(List.of(), Map.of(), null);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Throws unless every durable class names a store this object has. */
  public void checkClasses(List<StorageClassConfig> classes) {
    for (StorageClassConfig c : classes) {
      if (c.durableStore().isPresent() && !stores.containsKey(c.durableStore().get())) {
        throw new IllegalArgumentException("Cannot build flight store: storage class \"" + c.prefix() + "\" uses durable store \""
            + c.durableStore().get() + "\", which is not open");
      }
    }
  }

  public DurableStore storeOf(StorageClass sc) {
    return stores.get(sc.config().durableStore().orElseThrow());
  }

  private static String root(StorageClass sc) {
    String p = sc.config().durablePrefix();
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.isEmpty() ? "" : p + "/";
  }

  /** The object key of {@code path} in its class's store. */
  public static String key(StorageClass sc, String path) {
    return root(sc) + path + SUFFIX;
  }

  /** The flight path an object key of this class's store stands for, if it is one. */
  public static Optional<String> pathOf(StorageClass sc, String key) {
    String root = root(sc);
    if (!key.startsWith(root) || !key.endsWith(SUFFIX) || key.length() == root.length() + SUFFIX.length()) {
      return Optional.empty();
    }
    return Optional.of(key.substring(root.length(), key.length() - SUFFIX.length()));
  }

  // ---- per-path ordering ------------------------------------------------------------------

  /**
   * Runs {@code body}, a commit point of {@code path}, holding the path's lock: the commit points of
   * one path (durable commits, deletes, installs of restored copies) never interleave. {@code body}
   * makes at most one store call.
   */
  public <T> T locked(String path, Supplier<T> body) {
    ReentrantLock l = locks.get(path);
    l.lock();
    try {
      return body.get();
    } finally {
      l.unlock();
    }
  }

  /**
   * Runs {@code body} holding the path's lock if it is free now; empty if another commit point of the
   * path is running (a restore then gives up caching rather than wait behind a write).
   */
  public <T> Optional<T> lockedIfFree(String path, Supplier<T> body) {
    ReentrantLock l = locks.get(path);
    if (!l.tryLock()) {
      return Optional.empty();
    }
    try {
      return Optional.of(body.get());
    } finally {
      l.unlock();
    }
  }

  // ---- writing ----------------------------------------------------------------------------

  /**
   * Uploads {@code copy} as the next durable object of {@code path}, without making it visible:
   * call {@link Sink#publish()} (under the path's lock) or close it. Throws {@link
   * DurableStoreUnavailableException} if the store fails (and then nothing changed in it).
   */
  public Sink upload(StorageClass sc, String path, StoredFlight copy, Instant committedAt, Optional<Instant> expiresAt,
      String idempotencyKey) {
    Sink sink = openSink(sc, path, copy.schema());
    try (MessageCursor cursor = copy.cursor()) {
      for (Message next = cursor.next(); next != null; next = cursor.next()) {
        try (Message m = next) {
          sink.append(m);
        }
      }
      sink.prepare(committedAt, expiresAt, idempotencyKey);
      return sink;
    } catch (RuntimeException | Error e) {
      sink.close();
      throw e;
    }
  }

  /** Starts streaming a flight into its durable object; nothing is visible until {@link Sink#commit}. */
  public Sink openSink(StorageClass sc, String path, FlightSchema schema) {
    DurableStore store = storeOf(sc);
    try {
      return new Sink(sc, path, store, store.create(key(sc, path)), schema);
    } catch (DurableStoreException e) {
      throw unavailable(sc, path, e);
    }
  }

  /**
   * A durable object being written batch by batch (a strong put streams its batches here as they
   * arrive, so the durable copy is written while the upload runs, not after it). Used by one thread.
   */
  public final class Sink implements AutoCloseable {
    private final StorageClass sc;
    private final String path;
    private final DurableStore store;
    private final DurableStore.ObjectUpload upload;
    private final OutputStream out;
    private final DurableFileWriter writer;
    private DurableMetadata prepared;
    private final java.util.concurrent.atomic.AtomicBoolean counted = new java.util.concurrent.atomic.AtomicBoolean(true); // in uploadsOpen

    private Sink(StorageClass sc, String path, DurableStore store, DurableStore.ObjectUpload upload, FlightSchema schema) {
      this.sc = sc;
      this.path = path;
      this.store = store;
      this.upload = upload;
      uploadsOpen.incrementAndGet();
      this.out = new BufferedOutputStream(upload.stream(), 256 << 10);
      try {
        this.writer = new DurableFileWriter(out, schema);
      } catch (IOException e) {
        upload.abort();
        uploadsOpen.decrementAndGet();
        throw failed(e);
      }
    }

    /** Copies {@code message} out (the caller keeps it). */
    public void append(Message message) {
      try {
        writer.append(message);
      } catch (IOException e) {
        throw failed(e);
      }
    }

    /**
     * Ends the file and sends the rest of it, so that only {@link #publish()} is left. Run it with no
     * lock held. Returns the metadata written into the footer.
     */
    public DurableMetadata prepare(Instant committedAt, Optional<Instant> expiresAt, String idempotencyKey) {
      try {
        prepared = writer.finish(path, committedAt, sc.config().ttl(), expiresAt, Optional.ofNullable(idempotencyKey));
        out.flush();
        upload.prepare();
        return prepared;
      } catch (IOException e) {
        throw failed(e);
      } catch (DurableStoreException e) {
        throw unavailable(sc, path, e);
      }
    }

    /** The size of the object, once prepared. */
    public long size() {
      return writer.size();
    }

    /**
     * The commit point: makes the prepared object visible, replacing the previous one (one store
     * call). Call under the path's lock.
     */
    public DurableMetadata publish() {
      if (prepared == null) {
        throw new IllegalStateException("publish before prepare of " + path);
      }
      try {
        described.invalidate(key(sc, path));
        upload.commit();
        if (counted.compareAndSet(true, false)) {
          uploadsOpen.decrementAndGet(); // committed: no longer in flight (close() after this is a no-op)
        }
        return prepared;
      } catch (DurableStoreException e) {
        throw unavailable(sc, path, e);
      }
    }

    private DurableStoreUnavailableException failed(IOException e) {
      upload.abort();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return new DurableStoreUnavailableException("Cannot store flight \"%s\" durably (%s): %s: %s", path, sc, store.describe(),
          cause.getMessage());
    }

    /** Discards what was written. Idempotent; a no-op after commit. */
    @Override
    public void close() {
      upload.abort();
      if (counted.compareAndSet(true, false)) {
        uploadsOpen.decrementAndGet();
      }
    }
  }

  private static DurableStoreUnavailableException unavailable(StorageClass sc, String path, DurableStoreException e) {
    return new DurableStoreUnavailableException("Cannot store flight \"%s\" durably (%s): %s", path, sc, e.getMessage());
  }

  /** Deletes the durable object of {@code path}; throws {@link DurableStoreUnavailableException} if the store fails. */
  public void delete(StorageClass sc, String path) {
    String key = key(sc, path);
    described.invalidate(key);
    try {
      storeOf(sc).delete(key);
    } catch (DurableStoreException e) {
      throw new DurableStoreUnavailableException("Cannot delete flight \"%s\": %s", path, e.getMessage());
    }
  }

  // ---- reading ----------------------------------------------------------------------------

  /** A durable object as its footer describes it. */
  public record Described(String key, long size, Instant lastModified, FlightSchema schema, DurableMetadata meta,
      java.util.Map<Integer, byte[]> appMetadata) {
    /** Roughly the heap it holds, for the footer cache's bound. */
    int weight() {
      long w = 256 + schema.message().length + (schema.appMetadata() == null ? 0 : schema.appMetadata().length);
      for (byte[] b : appMetadata.values()) {
        w += 48 + b.length;
      }
      return (int) Math.min(Integer.MAX_VALUE, w);
    }
  }

  /** The durable object of {@code path}, if there is one: a HEAD, then its footer unless cached. */
  public Optional<Described> describe(StorageClass sc, String path) {
    String key = key(sc, path);
    Optional<DurableStore.ObjectInfo> info;
    try {
      info = storeOf(sc).head(key);
    } catch (DurableStoreException e) {
      throw new DurableStoreUnavailableException("Cannot look up flight \"%s\": %s", path, e.getMessage());
    }
    return info.flatMap(i -> describe(sc, path, i));
  }

  /**
   * Describes a listed object; the footer is read once per object version and then cached. Empty if
   * the object was deleted since it was listed. A read that fails because the object was replaced
   * meanwhile (its size or time changed) is tried again on the new version.
   */
  public Optional<Described> describe(StorageClass sc, String path, DurableStore.ObjectInfo listed) {
    DurableStore store = storeOf(sc);
    DurableStore.ObjectInfo info = listed;
    for (int attempt = 1; ; attempt++) {
      Described cached = described.getIfPresent(info.key());
      if (cached != null && cached.size() == info.size() && cached.lastModified().equals(info.lastModified())) {
        return Optional.of(cached);
      }
      RuntimeException failure;
      try {
        Described d = readFooter(store, info);
        described.put(info.key(), d);
        return Optional.of(d);
      } catch (DurableStoreException e) {
        failure = new DurableStoreUnavailableException("Cannot read flight \"%s\": %s", path, e.getMessage());
      } catch (IOException | RuntimeException e) {
        failure = new DurableDataException("Cannot read flight \"%s\": its durable copy %s in %s is not a readable Hangar flight file (%s)",
            path, info.key(), store.describe(), e.getMessage());
      }
      Optional<DurableStore.ObjectInfo> now;
      try {
        now = store.head(info.key());
      } catch (DurableStoreException e) {
        throw failure;
      }
      if (now.isEmpty()) {
        return Optional.empty(); // deleted between the listing and the read
      }
      if (attempt == 3 || now.get().size() == info.size() && now.get().lastModified().equals(info.lastModified())) {
        throw failure; // the same object: really unreadable
      }
      info = now.get(); // overwritten meanwhile: read the new one
    }
  }

  private static Described readFooter(DurableStore store, DurableStore.ObjectInfo info) throws IOException {
    int length = (int) Math.min(info.size(), TAIL);
    byte[] tail = store.readRange(info.key(), info.size() - length, length);
    DurableFileReader.Footer footer = DurableFileReader.parseFooter(tail, length);
    if (footer == null) {
      int needed = DurableFileReader.footerLength(tail) + 10;
      if (needed > info.size()) {
        throw new IOException("footer length " + needed + " exceeds the object's size " + info.size());
      }
      tail = store.readRange(info.key(), info.size() - needed, needed);
      footer = DurableFileReader.parseFooter(tail, needed);
    }
    return new Described(info.key(), info.size(), info.lastModified(), footer.schema(), footer.metadata(), footer.appMetadata());
  }

  /**
   * Opens the durable object of {@code path} for a front-to-back read; {@code described} is what its
   * footer said (the messages' app_metadata is there).
   */
  public DurableFileReader open(StorageClass sc, String path, Described described) {
    DurableStore store = storeOf(sc);
    InputStream in;
    try {
      in = store.read(key(sc, path)).orElseThrow(() -> new FlightNotFoundException("Flight \"%s\" not found", path));
    } catch (DurableStoreException e) {
      throw new DurableStoreUnavailableException("Cannot read flight \"%s\": %s", path, e.getMessage());
    }
    try {
      return new DurableFileReader(in, allocator, described.appMetadata());
    } catch (IOException e) {
      closeQuietly(in);
      throw corrupt(sc, path, e);
    }
  }

  public DurableDataException corrupt(StorageClass sc, String path, IOException e) {
    return new DurableDataException("Cannot read flight \"%s\": its durable copy %s in %s is unusable (%s)", path, key(sc, path),
        storeOf(sc).describe(), e.getMessage());
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      LOG.debug("closing a durable stream", e);
    }
  }

  /** The flight paths of {@code sc}'s durable objects that start with {@code prefix}, with their listing. */
  public Map<String, DurableStore.ObjectInfo> list(StorageClass sc, String prefix) {
    List<DurableStore.ObjectInfo> objects;
    try {
      objects = storeOf(sc).list(root(sc) + prefix);
    } catch (DurableStoreException e) {
      throw new DurableStoreUnavailableException("Cannot list flights under \"%s\" (%s): %s", prefix, sc, e.getMessage());
    }
    Map<String, DurableStore.ObjectInfo> out = new java.util.TreeMap<>();
    for (DurableStore.ObjectInfo o : objects) {
      pathOf(sc, o.key()).ifPresent(p -> out.put(p, o));
    }
    return out;
  }

  /**
   * Hands {@code each} the flight path and object of every durable flight of {@code sc} under
   * {@code prefix}, a page at a time, in no promised order (indexing and sweeps of a million).
   */
  public void forEach(StorageClass sc, String prefix, java.util.function.BiConsumer<String, DurableStore.ObjectInfo> each) {
    try {
      storeOf(sc).forEach(root(sc) + prefix, o -> pathOf(sc, o.key()).ifPresent(p -> each.accept(p, o)));
    } catch (DurableStoreException e) {
      throw new DurableStoreUnavailableException("Cannot list flights under \"%s\" (%s): %s", prefix, sc, e.getMessage());
    }
  }

  /** Removes abandoned writes under {@code sc}'s root that began before {@code before}. */
  public int removeAbandonedWrites(StorageClass sc, Instant before) {
    try {
      return storeOf(sc).removeAbandonedWrites(root(sc), before);
    } catch (DurableStoreException e) {
      throw new DurableStoreUnavailableException("Cannot clean up abandoned writes (%s): %s", sc, e.getMessage());
    }
  }

  // ---- weak writes ------------------------------------------------------------------------

  /** Refuses a put whose durable object the class's store could not name. */
  public void checkPath(StorageClass sc, String path) {
    try {
      storeOf(sc).checkKey(key(sc, path));
    } catch (IllegalArgumentException e) {
      throw new InvalidFlightPathException("Cannot store flight \"%s\" durably (%s): %s (use a shorter path)", path, sc, e.getMessage());
    }
  }

  /** Takes a place in the weak queue of {@code sc}'s store, or refuses the put. */
  public void takeWeakSlot(StorageClass sc, String path) {
    String id = sc.config().durableStore().orElseThrow();
    if (!weakSlots.get(id).tryAcquire()) {
      throw new DurableBackpressureException(
          "Cannot accept weak flight \"%s\" now: %d weak flights are already waiting for their durable copy in %s"
              + " (weakQueue %d); retry after a backoff, or check that the store is reachable",
          path, configs.get(id).weakQueue(), storeOf(sc).describe(), configs.get(id).weakQueue());
    }
    pendingWeak.incrementAndGet();
    weakSince.addLast(System.nanoTime());
  }

  public void releaseWeakSlot(StorageClass sc) {
    weakSlots.get(sc.config().durableStore().orElseThrow()).release();
    pendingWeak.decrementAndGet();
    weakSince.pollFirst();
  }

  /**
   * How long the oldest weak flight has waited for its durable copy, or zero if none waits. Weak
   * copies land in about the order they were queued, and this takes the oldest queue time still in
   * use; a copy that lands out of order can make it read a little younger than the truth.
   */
  public Duration oldestWeakWait() {
    Long first = weakSince.peekFirst();
    return first == null ? Duration.ZERO : Duration.ofNanos(Math.max(0, System.nanoTime() - first));
  }

  /** Durable objects being written now (strong commits and weak copies in flight). */
  public int uploadsOpen() {
    return uploadsOpen.get();
  }

  /**
   * Asks every durable store whether it answers (a HEAD of its bucket, or a look at its directory).
   * Returns, by store id, null for a store that answered and the reason for one that did not.
   */
  public Map<String, String> probe() {
    Map<String, String> out = new java.util.TreeMap<>();
    stores.forEach((id, store) -> {
      try {
        store.check();
        out.put(id, null);
      } catch (RuntimeException e) {
        out.put(id, e.getMessage());
      }
    });
    return out;
  }

  /** Weak copies tried again after a failed attempt, since start. */
  public long weakRetries() {
    return weakRetries.sum();
  }

  /** Weak flights whose durable copy has not landed yet. */
  public int pendingWeakWrites() {
    return pendingWeak.get();
  }

  public void submitWeak(StorageClass sc, Runnable attempt) {
    weakWriters.get(sc.config().durableStore().orElseThrow()).execute(attempt);
  }

  public void retryWeak(StorageClass sc, Runnable attempt, int failures) {
    weakRetries.increment();
    long delay = Math.min(30_000L, 250L << Math.min(failures, 7)); // 0.5 s, 1 s, 2 s … 30 s
    timers.schedule(() -> submitWeak(sc, attempt), delay, TimeUnit.MILLISECONDS);
  }

  public void schedule(Runnable task, Duration delay) {
    timers.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Waits until every weak flight has its durable copy, or the deadline passes; returns how many are left. */
  public int drain(Duration deadline) {
    long end = System.nanoTime() + deadline.toNanos();
    while (pendingWeak.get() > 0 && System.nanoTime() < end) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return pendingWeak.get();
  }

  @Override
  public void close() {
    timers.shutdownNow();
    weakWriters.values().forEach(ExecutorService::shutdownNow);
    for (ExecutorService e : weakWriters.values()) {
      try {
        e.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
    }
    List<RuntimeException> failures = new ArrayList<>();
    for (DurableStore s : stores.values()) {
      try {
        s.close();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }
}
