package dev.hangar.storage.catalog;

import dev.hangar.config.StorageType;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.eviction.EvictionQueue;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Every flight this node knows, by path: the version held in a tier, or the durable-only entry of
 * a flight whose only copy is in its durable store. It is the source of truth for reads, listings
 * and the time rules; the durable store is asked only for paths of a class not yet indexed.
 *
 * <p>A version in a tier is also in its storage type's {@link EvictionQueue}; the catalog keeps
 * the two together (a version enters its queue after the map and leaves it before it is freed),
 * and keeps each class's {@code flights} and {@code bytes} equal to its versions in tiers. No
 * method holds a lock while it calls out, and none does I/O (freeing a copy happens in {@link
 * FlightVersion}, outside the catalog's structures).
 */
public final class Catalog {
  private final ConcurrentSkipListMap<String, CatalogEntry> entries = new ConcurrentSkipListMap<>();
  private final Map<StorageType, EvictionQueue> queues = new EnumMap<>(StorageType.class);
  private final AtomicLong versions = new AtomicLong();
  private final SchemaTable schemas = new SchemaTable();
  private final Set<StorageClass> indexed = ConcurrentHashMap.newKeySet();
  /** Durable paths deleted or expired while their class was being indexed: its listing may still show them. */
  private final Set<String> removedWhileIndexing = ConcurrentHashMap.newKeySet();
  private volatile Consumer<CatalogEntry> entered = e -> {};

  public Catalog(Collection<StorageType> types) {
    for (StorageType t : types) {
      queues.put(t, new EvictionQueue());
    }
  }

  /** Called with each entry as it enters the catalog (the time rules schedule it). */
  public void onEnter(Consumer<CatalogEntry> listener) {
    this.entered = listener;
  }

  public EvictionQueue queue(StorageType type) {
    return queues.get(type);
  }

  public SchemaTable schemas() {
    return schemas;
  }

  public long nextVersionId() {
    return versions.incrementAndGet();
  }

  // ---- lookups ----------------------------------------------------------------------------

  public CatalogEntry get(String path) {
    return entries.get(path);
  }

  /** The version of {@code path} held in a tier, or null. */
  public FlightVersion version(String path) {
    return entries.get(path) instanceof FlightVersion v ? v : null;
  }

  /**
   * The version of {@code path} in a tier with a reader registered on it (release it when done), or
   * null if there is none. Never waits: a version that is leaving is either replaced already (a
   * put or a move swaps the map first) or being evicted, which a reader sees as absent.
   */
  public FlightVersion acquire(String path) {
    for (int attempt = 0; attempt < 2; attempt++) {
      FlightVersion v = version(path);
      if (v == null) {
        return null;
      }
      if (v.tryAcquire()) {
        return v;
      }
    }
    return null;
  }

  /** The entries whose path starts with {@code prefix}, in path order (a live view). */
  public NavigableMap<String, CatalogEntry> range(String prefix) {
    if (prefix.isEmpty()) {
      return entries;
    }
    return entries.subMap(prefix, true, prefix + Character.MAX_VALUE, true);
  }

  public Collection<CatalogEntry> entries() {
    return entries.values();
  }

  public int size() {
    return entries.size();
  }

  // ---- changes ----------------------------------------------------------------------------

  /**
   * Makes {@code v} the flight at its path; the previous version, if any, is retired (its readers
   * finish on it). Returns the previous entry.
   */
  public CatalogEntry install(FlightVersion v) {
    counted(v, 1);
    CatalogEntry previous = entries.put(v.path(), v);
    enqueue(v);
    entered.accept(v);
    if (previous instanceof FlightVersion old) {
      retire(old);
    }
    return previous;
  }

  /**
   * Swaps {@code moved} (a copy of {@code v} in another tier) in for {@code v} if the path still maps
   * to v, and retires v; otherwise frees moved. Returns whether it swapped.
   */
  public boolean replace(FlightVersion v, FlightVersion moved) {
    counted(moved, 1);
    if (!entries.replace(v.path(), v, moved)) {
      counted(moved, -1);
      moved.leaveCatalog();
      return false;
    }
    enqueue(moved);
    entered.accept(moved);
    retire(v);
    return true;
  }

  /**
   * Queues a version just mapped for eviction. Another thread may evict or replace it between the
   * map change and this (a scope eviction scans the map): its removal from the queue then found
   * nothing, so the version is taken out again once it is seen to be gone.
   */
  private void enqueue(FlightVersion v) {
    EvictionQueue queue = queues.get(v.copy().storageType());
    queue.add(v);
    if (entries.get(v.path()) != v) {
      queue.remove(v);
    }
  }

  /** Records a durable-only flight at its path, unless the catalog already has an entry for it. */
  public boolean addIfAbsent(DurableEntry e) {
    if (entries.putIfAbsent(e.path(), e) == null) {
      entered.accept(e);
      return true;
    }
    return false;
  }

  /** Swaps {@code next} in for {@code current} (both durable-only: a resolved footer, say). */
  public boolean replace(DurableEntry current, DurableEntry next) {
    if (entries.replace(current.path(), current, next)) {
      entered.accept(next);
      return true;
    }
    return false;
  }

  /**
   * An evicted version {@code v} (already claimed with {@link FlightVersion#tryEvict}) leaves the
   * tiers: its path maps to {@code durable} if given, else to nothing. False if the path had moved
   * on (a put, move or delete got there first). Either way v stops being counted.
   */
  public boolean evicted(FlightVersion v, DurableEntry durable) {
    boolean mapped = durable == null ? entries.remove(v.path(), v) : entries.replace(v.path(), v, durable);
    queues.get(v.copy().storageType()).remove(v);
    counted(v, -1);
    if (mapped && durable != null) {
      entered.accept(durable);
    }
    return mapped;
  }

  /** Removes whatever {@code path} maps to, retiring a version. Returns it, or null. */
  public CatalogEntry remove(String path) {
    CatalogEntry e = entries.remove(path);
    if (e instanceof FlightVersion v) {
      retire(v);
    }
    if (e != null) {
      noteRemoved(e.storageClass(), path);
    }
    return e;
  }

  /** Removes {@code e} if {@code path} still maps to it, retiring a version. */
  public boolean remove(CatalogEntry e) {
    if (!entries.remove(e.path(), e)) {
      return false;
    }
    if (e instanceof FlightVersion v) {
      retire(v);
    }
    noteRemoved(e.storageClass(), e.path());
    return true;
  }

  /** A version the map no longer holds: it leaves its queue, and is freed once unread. */
  private void retire(FlightVersion v) {
    queues.get(v.copy().storageType()).remove(v);
    if (v.leaveCatalog()) {
      counted(v, -1);
    }
  }

  private static void counted(FlightVersion v, int sign) {
    StorageClass sc = v.storageClass();
    sc.flights.addAndGet(sign);
    sc.bytes.addAndGet(sign * v.copy().bytes());
  }

  // ---- indexing ---------------------------------------------------------------------------

  /** Whether every durable object of {@code sc} is in the catalog (its start-up listing finished). */
  public boolean isIndexed(StorageClass sc) {
    return indexed.contains(sc);
  }

  public void markIndexed(StorageClass sc) {
    indexed.add(sc);
  }

  /** Records that the durable flight at {@code path} is gone, if its class is not indexed yet. */
  public void noteRemoved(StorageClass sc, String path) {
    if (sc.isDurable() && !indexed.contains(sc)) {
      removedWhileIndexing.add(path);
    }
  }

  /** Whether {@code path} was removed while {@code sc} was not indexed (the indexer must not add it back). */
  public boolean wasRemovedWhileIndexing(StorageClass sc, String path) {
    return removedWhileIndexing.contains(path);
  }
}
