package dev.hangar.storage;

import dev.hangar.config.Sizes;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.eviction.EvictionQueue;
import dev.hangar.storage.routing.PrefixRouter;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The flights of one node: routing to storage classes, the catalog, placement and eviction.
 *
 * <p>Design: the catalog maps each path to its current {@link FlightVersion}; a put builds a new
 * version off to the side and swaps it in at commit, so readers see the old flight or the new,
 * never a mix, and a reader keeps its version (through a {@link FlightLease}) until it finishes.
 * Each storage type has an {@link EvictionQueue}; making room in a type happens under that queue's
 * monitor. Lock order: eviction queue, then a version's monitor; nothing holds a version's monitor
 * while taking a queue's. Invariants: a type's {@link Capacity#used()} is the sum of the bytes of
 * its live copies (committed, being written, or replaced but still read) and never exceeds its
 * limit; a class's {@code bytes} and {@code flights} count exactly the versions the catalog maps.
 */
public final class FlightStore implements AutoCloseable {
  private final Map<StorageType, Tier> tiers;
  private final Map<StorageType, EvictionQueue> queues = new EnumMap<>(StorageType.class);
  private final Map<StorageType, LongAdder> typeEvictions = new EnumMap<>(StorageType.class);
  private final Map<StorageType, LongAdder> typeHits = new EnumMap<>(StorageType.class);
  /** Per storage type a flight left: [spills, moves, promotions, expirations]. */
  private final Map<StorageType, LongAdder[]> typeOut = new EnumMap<>(StorageType.class);
  private final List<StorageClass> classes;
  private final PrefixRouter<StorageClass> router;
  private final NavigableMap<String, FlightVersion> catalog = new ConcurrentSkipListMap<>();
  private final Clock clock;
  private final AtomicLong versions = new AtomicLong();

  /**
   * @param classes the storage classes, each of whose tiers must name a storage type in {@code tiers}
   * @param tiers the storage types of this node; the store closes them when it closes
   */
  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Clock clock) {
    this.tiers = Collections.unmodifiableMap(new EnumMap<>(tiers));
    this.clock = clock;
    List<StorageClass> built = new ArrayList<>();
    Map<String, StorageClass> byPrefix = new LinkedHashMap<>();
    for (StorageClassConfig c : classes) {
      for (TierConfig t : c.tiers()) {
        if (!tiers.containsKey(t.storage())) {
          throw new IllegalArgumentException("Cannot build flight store: storage class \"" + c.prefix()
              + "\" uses storage type " + t.storage() + ", which this node does not have");
        }
      }
      StorageClass sc = new StorageClass(c);
      built.add(sc);
      byPrefix.put(c.prefix(), sc);
    }
    this.classes = List.copyOf(built);
    this.router = PrefixRouter.of(byPrefix);
    for (StorageType type : tiers.keySet()) {
      queues.put(type, new EvictionQueue());
      typeEvictions.put(type, new LongAdder());
      typeHits.put(type, new LongAdder());
      typeOut.put(type, new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()});
    }
  }

  /** The storage class that governs {@code path}, if any. */
  public Optional<StorageClass> classOf(String path) {
    return router.route(path);
  }

  public Map<StorageType, Tier> tiers() {
    return tiers;
  }

  // ---- writes ---------------------------------------------------------------------------

  /**
   * Starts a put. {@code expectedBytes}, when the client sent it, lets the put fail at once if no
   * tier could hold it.
   */
  public Upload beginPut(String path, Schema schema, OptionalLong expectedBytes) {
    FlightPath.validate(path);
    StorageClass sc =
        classOf(path)
            .orElseThrow(
                () -> new NoStorageClassException(
                    "Cannot store flight \"%s\": no storage class prefix matches it (add a class for it, or one with prefix \"\")",
                    path));
    int tierIndex = 0;
    if (expectedBytes.isPresent()) {
      long size = expectedBytes.getAsLong();
      tierIndex = -1;
      List<TierConfig> list = sc.config().tiers();
      for (int i = 0; i < list.size() && tierIndex < 0; i++) {
        TierConfig t = list.get(i);
        if (size <= t.maxFlightSize() && size <= tiers.get(t.storage()).capacity().limit()) {
          tierIndex = i;
        }
      }
      if (tierIndex < 0) {
        sc.rejectedPuts.increment();
        throw new FlightTooLargeException(
            "Cannot store flight \"%s\" of %s: it is larger than every tier of %s admits (%s)",
            path, Sizes.format(size), sc, describeTiers(sc));
      }
    }
    return new Upload(this, path, sc, tierIndex, schema);
  }

  private String describeTiers(StorageClass sc) {
    List<String> parts = new ArrayList<>();
    for (TierConfig t : sc.config().tiers()) {
      String max = t.maxFlightSize() == TierConfig.UNLIMITED ? "no maxFlightSize" : "maxFlightSize " + Sizes.format(t.maxFlightSize());
      parts.add(t.storage() + ": " + max + ", capacity " + Sizes.format(tiers.get(t.storage()).capacity().limit()));
    }
    return String.join("; ", parts);
  }

  /** Reserves {@code bytes} in a storage type for {@code path}, evicting others if it must. */
  void reserve(Capacity capacity, long bytes, String path) {
    EvictionQueue queue = queues.get(capacity.type());
    synchronized (queue) {
      while (!capacity.tryReserve(bytes)) {
        FlightVersion victim = queue.evictOne(this::evict);
        if (victim == null) {
          throw new InsufficientCapacityException(
              "Cannot store flight \"%s\": storage %s has no room for %s more (capacity %s, in use %s, and every"
                  + " flight left in it is being read or written)",
              path, capacity.type(), Sizes.format(bytes), Sizes.format(capacity.limit()), Sizes.format(capacity.used()));
        }
        typeEvictions.get(capacity.type()).increment();
        StorageClass owner = (StorageClass) victim.owner();
        owner.evictions.increment();
        catalog.remove(victim.path(), victim);
        forget(victim);
      }
    }
  }

  /**
   * Evicts {@code v}: with {@code evictionSpill} and a next tier, its copy first moves there (the
   * version is pinned while it is copied, and only replaced if nobody started reading it and the
   * path still maps to it); otherwise its copy is dropped. Runs under the eviction queue's monitor
   * of v's storage type; the copy reserves in the next tier, which is always a slower type (the
   * config enforces that order), so queue monitors are always taken from faster to slower.
   */
  private boolean evict(FlightVersion v) {
    StorageClass sc = (StorageClass) v.owner();
    int next = v.tierIndex() + 1;
    if (!sc.tier(v.tierIndex()).evictionSpill() || next >= sc.config().tiers().size()
        || v.copy().bodyBytes() > sc.tier(next).maxFlightSize()) {
      return v.tryEvict();
    }
    StoredFlight moved = copyTo(v, next);
    if (moved == null) {
      return v.tryEvict(); // no room below either: drop it instead
    }
    if (!v.tryEvict()) {
      moved.free(); // a reader arrived meanwhile: it stays where it is
      return false;
    }
    if (install(v, next, moved)) {
      sc.flights.incrementAndGet(); // the caller's forget(v) takes them off again
      sc.bytes.addAndGet(moved.bytes());
      sc.spills.increment();
      typeOut.get(v.copy().storageType())[0].increment();
    }
    return true;
  }

  /**
   * Copies v's flight into tier {@code target} of its class while pinning v as a reader, or returns
   * null if that tier has no room for it. May evict in the target tier.
   */
  private StoredFlight copyTo(FlightVersion v, int target) {
    if (!v.tryAcquire()) {
      return null;
    }
    StorageClass sc = (StorageClass) v.owner();
    try {
      Tier tier = tiers.get(sc.tier(target).storage());
      dev.hangar.tiers.FlightWriter writer = tier.newWriter(v.path(), v.copy().schema(), (cap, bytes) -> reserve(cap, bytes, v.path()));
      try {
        v.copy().copyTo(writer);
        return writer.commit();
      } catch (RuntimeException e) {
        writer.abort();
        throw e;
      }
    } catch (StorageException e) {
      return null;
    } finally {
      v.releaseReader();
    }
  }

  /** Maps v's path to its copy in tier {@code target}, if the path still maps to v; else frees the copy. */
  private boolean install(FlightVersion v, int target, StoredFlight copy) {
    StorageClass sc = (StorageClass) v.owner();
    FlightVersion moved = new FlightVersion(v.path(), sc, target, sc.tier(target).priority(), copy, v.committedAt(), v.expiresAt(), v.id());
    moved.touch(v.lastAccess());
    moved.inheritAccesses(v);
    EvictionQueue queue = queues.get(copy.storageType());
    boolean replaced;
    synchronized (queue) {
      replaced = catalog.replace(v.path(), v, moved);
      if (replaced) {
        queue.add(moved);
      }
    }
    if (!replaced) {
      copy.free();
    }
    return replaced;
  }

  /**
   * Moves flights between tiers by time (DESIGN §4): one idle for its tier's {@code moveAfter}
   * goes down a tier; one read {@code promoteAfter.accesses} times within {@code promoteAfter.within}
   * goes up into that tier. Runs in the background; a read in progress finishes on the copy it
   * started on. Returns how many flights moved.
   */
  public int maintain() {
    Instant now = clock.instant();
    int moved = 0;
    for (FlightVersion v : catalog.values()) {
      if (v.isExpired(now)) {
        continue;
      }
      StorageClass sc = (StorageClass) v.owner();
      int i = v.tierIndex();
      TierConfig here = sc.tier(i);
      if (i > 0 && sc.tier(i - 1).promoteAfter().isPresent()) {
        TierConfig.PromoteAfter p = sc.tier(i - 1).promoteAfter().get();
        if (v.readAtLeast(p.accesses(), p.within(), now) && v.copy().bodyBytes() <= sc.tier(i - 1).maxFlightSize()
            && relocate(v, i - 1)) {
          sc.promotions.increment();
          typeOut.get(sc.tier(i).storage())[2].increment();
          moved++;
          continue;
        }
      }
      if (here.moveAfter().isPresent() && i + 1 < sc.config().tiers().size()
          && !now.isBefore(v.lastAccess().plus(here.moveAfter().get()))
          && v.copy().bodyBytes() <= sc.tier(i + 1).maxFlightSize()
          && relocate(v, i + 1)) {
        sc.moves.increment();
        typeOut.get(here.storage())[1].increment();
        moved++;
      }
    }
    return moved;
  }

  /** Copies v into another tier of its class and swaps it in; v's readers finish on the old copy. */
  private boolean relocate(FlightVersion v, int target) {
    StoredFlight copy = copyTo(v, target);
    if (copy == null) {
      return false;
    }
    StorageClass sc = (StorageClass) v.owner();
    sc.flights.incrementAndGet(); // retire(v) below takes v's share off again
    sc.bytes.addAndGet(copy.bytes());
    if (!install(v, target, copy)) {
      sc.flights.decrementAndGet();
      sc.bytes.addAndGet(-copy.bytes());
      return false;
    }
    retire(v);
    return true;
  }

  /** Extends the TTL of the flight at {@code path} by its class's TTL from now; returns the summary. */
  public FlightSummary renew(String path) {
    FlightPath.validate(path);
    FlightVersion v = catalog.get(path);
    Instant now = clock.instant();
    if (v == null || v.isExpired(now)) {
      throw notFound(path);
    }
    ((StorageClass) v.owner()).config().ttl().ifPresent(ttl -> v.renew(now.plus(ttl)));
    return summarize(v);
  }

  /** Counts an upload that spilled out of {@code from}. */
  void uploadSpilled(StorageClass sc, StorageType from) {
    sc.spills.increment();
    typeOut.get(from)[0].increment();
  }

  /** Commits a written copy as the flight at {@code path}; the previous version, if any, leaves. */
  FlightSummary install(String path, StorageClass sc, int tierIndex, StoredFlight copy) {
    Instant now = clock.instant();
    Optional<Instant> expiresAt = sc.config().ttl().map(now::plus);
    FlightVersion v =
        new FlightVersion(path, sc, tierIndex, sc.tier(tierIndex).priority(), copy, now, expiresAt, versions.incrementAndGet());
    sc.flights.incrementAndGet();
    sc.bytes.addAndGet(copy.bytes());
    sc.puts.increment();
    EvictionQueue queue = queues.get(copy.storageType());
    FlightVersion previous;
    synchronized (queue) { // eviction holds this monitor: it sees v in both the queue and the catalog, or in neither
      previous = catalog.put(path, v);
      queue.add(v);
    }
    if (previous != null) {
      retire(previous);
    }
    return summarize(v);
  }

  /** Deletes the flight at {@code path}; readers in progress finish on it. */
  public FlightSummary delete(String path) {
    FlightPath.validate(path);
    FlightVersion v = catalog.remove(path);
    if (v == null || v.isExpired(clock.instant())) {
      if (v != null) {
        expired(v);
      }
      throw notFound(path);
    }
    FlightSummary summary = summarize(v);
    ((StorageClass) v.owner()).deletions.increment();
    retire(v);
    return summary;
  }

  /** Deletes every flight whose path starts with {@code prefix}; returns how many. */
  public int deletePrefix(String prefix) {
    int n = 0;
    for (FlightVersion v : List.copyOf(range(prefix).values())) {
      if (catalog.remove(v.path(), v)) {
        if (!v.isExpired(clock.instant())) {
          ((StorageClass) v.owner()).deletions.increment();
          n++;
          retire(v);
        } else {
          expired(v);
        }
      }
    }
    return n;
  }

  // ---- reads ----------------------------------------------------------------------------

  /** Opens the current version of {@code path} for reading; close the lease when done. */
  public FlightLease open(String path) {
    FlightPath.validate(path);
    Optional<StorageClass> sc = classOf(path);
    while (true) {
      FlightVersion v = catalog.get(path);
      Instant now = clock.instant();
      if (v == null || v.isExpired(now)) {
        if (v != null && catalog.remove(path, v)) {
          expired(v);
        }
        sc.ifPresent(c -> c.misses.increment());
        throw notFound(path);
      }
      if (v.tryAcquire()) {
        v.touch(now);
        StorageClass owner = (StorageClass) v.owner();
        if (v.tierIndex() > 0) {
          owner.tier(v.tierIndex() - 1).promoteAfter().ifPresent(p -> v.recordAccess(now, p.accesses()));
        }
        queues.get(v.copy().storageType()).touch(v);
        typeHits.get(v.copy().storageType()).increment();
        owner.hits.increment();
        return new FlightLease(v, summarize(v));
      }
      Thread.onSpinWait(); // the version is leaving the catalog; look again
    }
  }

  /** What is known about the flight at {@code path}, without reading it or counting a hit. */
  public FlightSummary info(String path) {
    FlightPath.validate(path);
    FlightVersion v = catalog.get(path);
    if (v == null || v.isExpired(clock.instant())) {
      throw notFound(path);
    }
    return summarize(v);
  }

  /** The visible flights whose path starts with {@code prefix}, in path order. */
  public List<FlightSummary> list(String prefix) {
    Instant now = clock.instant();
    List<FlightSummary> out = new ArrayList<>();
    for (FlightVersion v : range(prefix).values()) {
      if (!v.isExpired(now)) {
        out.add(summarize(v));
      }
    }
    return out;
  }

  /** Removes expired flights from the catalog and frees their copies; returns how many. */
  public int expireDue() {
    Instant now = clock.instant();
    int n = 0;
    for (FlightVersion v : catalog.values()) {
      if (v.isExpired(now) && catalog.remove(v.path(), v)) {
        expired(v);
        n++;
      }
    }
    return n;
  }

  public StoreStats stats() {
    List<StoreStats.TypeStats> types = new ArrayList<>();
    for (Map.Entry<StorageType, Tier> e : tiers.entrySet()) {
      Capacity c = e.getValue().capacity();
      types.add(new StoreStats.TypeStats(
          e.getKey().key(), c.limit(), c.used(), queues.get(e.getKey()).size(), typeHits.get(e.getKey()).sum(),
          typeEvictions.get(e.getKey()).sum(), typeOut.get(e.getKey())[0].sum(), typeOut.get(e.getKey())[1].sum(),
          typeOut.get(e.getKey())[2].sum(), typeOut.get(e.getKey())[3].sum()));
    }
    List<StoreStats.ClassStats> cls = new ArrayList<>();
    for (StorageClass sc : classes) {
      cls.add(new StoreStats.ClassStats(
          sc.prefix(),
          sc.config().durability().key(),
          sc.flights.get(),
          sc.bytes.get(),
          sc.hits.sum(),
          sc.misses.sum(),
          sc.puts.sum(),
          sc.rejectedPuts.sum(),
          sc.deletions.sum(),
          sc.evictions.sum(),
          sc.spills.sum(),
          sc.moves.sum(),
          sc.promotions.sum(),
          sc.expirations.sum()));
    }
    return new StoreStats(types, cls);
  }

  // ---- internals ------------------------------------------------------------------------

  private NavigableMap<String, FlightVersion> range(String prefix) {
    if (prefix.isEmpty()) {
      return catalog;
    }
    return catalog.subMap(prefix, true, prefix + Character.MAX_VALUE, true);
  }

  private void expired(FlightVersion v) {
    ((StorageClass) v.owner()).expirations.increment();
    typeOut.get(v.copy().storageType())[3].increment();
    retire(v);
  }

  /** A version the catalog no longer maps: it leaves its queue, and is freed once unread. */
  private void retire(FlightVersion v) {
    queues.get(v.copy().storageType()).remove(v);
    if (v.leaveCatalog()) {
      forget(v);
    }
  }

  private void forget(FlightVersion v) {
    StorageClass sc = (StorageClass) v.owner();
    sc.flights.decrementAndGet();
    sc.bytes.addAndGet(-v.copy().bytes());
  }

  private FlightSummary summarize(FlightVersion v) {
    StorageClass sc = (StorageClass) v.owner();
    StoredFlight c = v.copy();
    return new FlightSummary(
        v.path(),
        sc.prefix(),
        sc.config().durability(),
        c.storageType(),
        c.schema(),
        c.rows(),
        c.batches(),
        c.bytes(),
        c.bodyBytes(),
        v.committedAt(),
        v.expiresAt(),
        v.lastAccess(),
        v.readers(),
        v.id(),
        sc.config().tiers().stream().map(t -> t.storage().key()).toList());
  }

  private static FlightNotFoundException notFound(String path) {
    return new FlightNotFoundException("Flight \"%s\" not found", path);
  }

  /**
   * Drops every flight and closes the tiers. Call it once no read or put is running: a tier's close
   * fails if a copy is still held.
   */
  @Override
  public void close() {
    for (FlightVersion v : List.copyOf(catalog.values())) {
      if (catalog.remove(v.path(), v)) {
        retire(v);
      }
    }
    AutoCloseables.closeNoChecked(() -> AutoCloseables.close(tiers.values()));
  }
}
