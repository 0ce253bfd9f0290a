package dev.hangar.storage;

import dev.hangar.config.Durability;
import dev.hangar.config.LimitPolicyConfig;
import dev.hangar.config.Sizes;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.storage.catalog.DurableState;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.eviction.EvictionQueue;
import dev.hangar.storage.routing.PrefixRouter;
import dev.hangar.limits.QuotaExceededException;
import dev.hangar.limits.Scope;
import dev.hangar.limits.UsageLedger;
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
import dev.hangar.tiers.ipc.FlightSchema;

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
  private final Durables durables;
  private final Quotas quotas;
  /** Wall-clock start of this node (object stores time-stamp in wall-clock time). */
  private final Instant startedAt = Instant.now();

  /**
   * @param classes the storage classes, each of whose tiers must name a storage type in {@code tiers}
   * @param tiers the storage types of this node; the store closes them when it closes
   */
  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Clock clock) {
    this(classes, tiers, Durables.none(), clock);
  }

  /**
   * @param durables the durable stores the classes name (the store closes them when it closes)
   */
  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Durables durables, Clock clock) {
    this(classes, tiers, durables, List.of(), clock);
  }

  /**
   * @param limitPolicies quotas over the classes (each names only prefixes of {@code classes});
   *     after a restart, call {@link #recoverUsage()} before serving so durable flights count
   */
  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Durables durables,
      List<LimitPolicyConfig> limitPolicies, Clock clock) {
    this.tiers = Collections.unmodifiableMap(new EnumMap<>(tiers));
    this.clock = clock;
    this.durables = durables;
    this.quotas = new Quotas(limitPolicies);
    durables.checkClasses(classes);
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

  /** Where an upload keeps a message body it needs twice (a strong put's tier and durable copies). */
  org.apache.arrow.memory.BufferAllocator workingAllocator() {
    return durables.allocator();
  }

  public Map<StorageType, Tier> tiers() {
    return tiers;
  }

  // ---- writes ---------------------------------------------------------------------------

  /**
   * Starts a put of data an in-process producer holds as Arrow Java vectors (see {@link
   * Upload#append(org.apache.arrow.vector.ipc.message.ArrowRecordBatch)}).
   */
  public Upload beginPut(String path, org.apache.arrow.vector.types.pojo.Schema schema, OptionalLong expectedBytes) {
    return beginPut(path, dev.hangar.tiers.ipc.JavaMessages.schema(schema), expectedBytes);
  }

  /**
   * Starts a put of a flight whose schema message is {@code schema}. {@code expectedBytes}, when the
   * client sent it, lets the put fail at once if no tier could hold it.
   */
  public Upload beginPut(String path, FlightSchema schema, OptionalLong expectedBytes) {
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
    if (isDurable(sc)) {
      durables.checkPath(sc, path);
    }
    UsageLedger.Reservation quota;
    try {
      quota = quotas.reserve(sc, path, expectedBytes.orElse(0));
    } catch (QuotaExceededException e) {
      sc.rejectedPuts.increment();
      throw e;
    }
    boolean weak = sc.config().durability() == Durability.WEAK;
    if (weak) {
      try {
        durables.takeWeakSlot(sc, path);
      } catch (DurableBackpressureException e) {
        quotas.release(quota);
        sc.rejectedPuts.increment();
        throw e;
      }
    }
    Durables.Sink sink = null;
    try {
      if (sc.config().durability() == Durability.STRONG) {
        sink = durables.openSink(sc, path, schema);
      }
      return new Upload(this, path, sc, tierIndex, schema, weak, sink, quota);
    } catch (RuntimeException e) {
      quotas.release(quota);
      if (sink != null) {
        sink.close();
      }
      if (weak) {
        durables.releaseWeakSlot(sc);
      }
      if (e instanceof DurableStoreUnavailableException) {
        sc.rejectedPuts.increment();
        sc.durableFailures.increment();
      }
      throw e;
    }
  }

  /** An upload ended without commit: gives back its place in the weak queue and its reserved quota. */
  void uploadAborted(StorageClass sc, boolean weakSlot, UsageLedger.Reservation quota) {
    sc.rejectedPuts.increment();
    quotas.release(quota);
    if (weakSlot) {
      durables.releaseWeakSlot(sc);
    }
  }

  /** A commit failed (it counted the rejection): gives back the weak-queue place and the reserved quota. */
  void commitFailed(boolean weakSlot, StorageClass sc, UsageLedger.Reservation quota) {
    quotas.release(quota);
    if (weakSlot) {
      sc.rejectedPuts.increment();
      durables.releaseWeakSlot(sc);
    }
  }

  /**
   * Charges {@code bytes} that arrived for an upload or a restore to its limit-policy scopes: a
   * {@code total} or {@code flights} quota it breaks fails it ({@link QuotaExceededException}); a
   * full {@code ephemeral} limit first evicts other flights of that scope (lowest priority, least
   * recently used first, never one being read or a weak flight whose copy has not landed), and
   * fails ({@link EphemeralLimitException}) only if that cannot make room.
   */
  void chargeQuota(UsageLedger.Reservation r, long bytes) {
    if (r == null) {
      return;
    }
    while (true) {
      Scope full;
      try {
        full = quotas.ledger().grow(r, bytes);
      } catch (QuotaExceededException e) {
        quotas.rejected(e.scope());
        throw e;
      }
      if (full == null) {
        return;
      }
      if (!evictInScope(full, bytes)) {
        quotas.rejected(full);
        throw Quotas.ephemeralFull(full, r.path(), quotas.ledger().reservedEphemeral(r), bytes, quotas.ledger().usage(full));
      }
    }
  }

  /**
   * Drops flights of {@code scope} from this node's tiers until {@code bytes} more fit its {@code
   * ephemeral} limit (or nothing more can go). A durable flight keeps its durable copy (and its
   * {@code total}); any other is gone. Returns whether asking the ledger again may succeed: it
   * evicted something, or the scope has room now (other puts evicting in it made some); false only
   * when the scope is full of flights that cannot go.
   */
  private boolean evictInScope(Scope scope, long bytes) {
    long limit = scope.limits().ephemeral().getAsLong();
    for (int scan = 0; scan < 100; scan++) {
      List<Candidate> found = new ArrayList<>();
      for (String prefix : quotas.prefixesOf(scope)) {
        for (FlightVersion v : range(prefix).values()) {
          if (!v.pinned() && quotas.governs(scope, (StorageClass) v.owner())) {
            found.add(new Candidate(v, v.priority(), v.lastAccess()));
          }
        }
      }
      // a heap (built in linear time): usually one or two flights must go, not the whole scope sorted
      java.util.PriorityQueue<Candidate> candidates = new java.util.PriorityQueue<>(found);
      boolean freed = false;
      boolean raced = false; // a candidate left the catalog meanwhile (another put evicted or replaced it)
      for (Candidate c; (c = candidates.poll()) != null; ) {
        FlightVersion v = c.version();
        if (quotas.ledger().usage(scope).ephemeral() + bytes <= limit) {
          return true;
        }
        EvictionQueue queue = queues.get(v.copy().storageType());
        synchronized (queue) {
          if (!v.tryEvict()) {
            raced |= catalog.get(v.path()) != v;
            continue; // being read, or gone meanwhile
          }
          queue.remove(v);
          evicted(v, v.copy().storageType());
        }
        quotas.evicted(scope);
        freed = true;
      }
      if (freed || quotas.ledger().usage(scope).ephemeral() + bytes <= limit) {
        return true;
      }
      if (!raced) {
        return false; // every flight left in the scope is being read, written or waiting for its durable copy
      }
    }
    return false;
  }

  private String describeTiers(StorageClass sc) {
    List<String> parts = new ArrayList<>();
    for (TierConfig t : sc.config().tiers()) {
      String max = t.maxFlightSize() == TierConfig.UNLIMITED ? "no maxFlightSize" : "maxFlightSize " + Sizes.format(t.maxFlightSize());
      parts.add(t.storage() + ": " + max + ", capacity " + Sizes.format(tiers.get(t.storage()).capacity().limit()));
    }
    return String.join("; ", parts);
  }

  /**
   * A flight that may be evicted from a scope, in eviction order: lowest priority, then least
   * recently used, then (used at the same instant) the oldest version.
   */
  private record Candidate(FlightVersion version, int priority, Instant lastAccess) implements Comparable<Candidate> {
    @Override
    public int compareTo(Candidate o) {
      int c = Integer.compare(priority, o.priority);
      if (c == 0) {
        c = lastAccess.compareTo(o.lastAccess);
      }
      return c != 0 ? c : Long.compare(version.id(), o.version.id());
    }
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
        evicted(victim, capacity.type());
      }
    }
  }

  /**
   * Accounts for a version eviction took (its copy freed or moved): counters, the catalog entry if
   * it still maps the path to it (it does not if the copy moved), and the limit-policy ledger.
   */
  private void evicted(FlightVersion v, StorageType type) {
    typeEvictions.get(type).increment();
    StorageClass owner = (StorageClass) v.owner();
    owner.evictions.increment();
    if (catalog.remove(v.path(), v)) {
      quotas.dropped(owner, v.path(), v.id());
    }
    forget(v);
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
    boolean canMove = next < sc.config().tiers().size() && v.copy().bodyBytes() <= sc.tier(next).maxFlightSize();
    if (v.pinned() && !canMove) {
      return false; // a weak flight whose durable copy has not landed is never dropped
    }
    if (!v.pinned() && (!sc.tier(v.tierIndex()).evictionSpill() || !canMove)) {
      return v.tryEvict();
    }
    StoredFlight moved = copyTo(v, next);
    if (moved == null) {
      return !v.pinned() && v.tryEvict(); // no room below either: drop it instead, unless it is pinned
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
    FlightVersion moved =
        new FlightVersion(v.path(), sc, target, sc.tier(target).priority(), copy, v.committedAt(), v.expiresAt(), v.id(), v.durable());
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

  /**
   * Commits an upload's copy as the flight at {@code path} with its class's durability: {@code
   * strong} first completes the durable object its batches were streamed to ({@code sink}) and
   * fails ({@link DurableStoreUnavailableException}, the copy freed, nothing visible) if it cannot;
   * {@code weak} commits at once, pinned, and queues the durable write; {@code none} just commits.
   */
  FlightSummary commit(String path, StorageClass sc, int tierIndex, StoredFlight copy, Durables.Sink sink,
      UsageLedger.Reservation quota) {
    if (quota != null) {
      try {
        quotas.ledger().settle(quota, copy.bodyBytes()); // after this the ledger's commit cannot fail
      } catch (QuotaExceededException e) {
        quotas.rejected(e.scope());
        sc.rejectedPuts.increment();
        if (sink != null) {
          sink.close();
        }
        copy.free();
        throw e;
      }
    }
    switch (sc.config().durability()) {
      case NONE:
        return install(path, sc, tierIndex, copy, clock.instant(), null, quota);
      case STRONG:
        // The object and the catalog change under the path's lock, so the store ends with the
        // flight committed last even when two strong puts to one path race.
        return durables.locked(path, () -> {
          Instant now = clock.instant();
          try {
            sink.commit(now, sc.config().ttl().map(now::plus));
          } catch (RuntimeException e) {
            sink.close();
            copy.free();
            sc.rejectedPuts.increment();
            sc.durableFailures.increment();
            throw e;
          }
          sc.durableWrites.increment();
          return install(path, sc, tierIndex, copy, now, DurableState.landed(), quota);
        });
      case WEAK:
        return durables.locked(path, () -> {
          FlightSummary s = install(path, sc, tierIndex, copy, clock.instant(), DurableState.pending(), quota);
          long id = s.version();
          durables.submitWeak(sc, new WeakWrite(sc, path, id));
          return s;
        });
      default:
        throw new IllegalStateException("durability " + sc.config().durability());
    }
  }

  /** Writes a weak flight's durable copy in the background, retrying with backoff until it lands or the flight is gone. */
  private final class WeakWrite implements Runnable {
    private final StorageClass sc;
    private final String path;
    private final long id;
    private int failures;

    WeakWrite(StorageClass sc, String path, long id) {
      this.sc = sc;
      this.path = path;
      this.id = id;
    }

    @Override
    public void run() {
      boolean done;
      try {
        done = durables.locked(path, this::attempt);
      } catch (RuntimeException e) {
        done = false;
        sc.durableFailures.increment();
        failures++;
        if (failures == 1 || failures % 20 == 0) {
          org.slf4j.LoggerFactory.getLogger(FlightStore.class).warn(
              "Weak flight \"{}\": durable copy not written yet (attempt {}), will retry: {}", path, failures, e.getMessage());
        }
      }
      if (done) {
        durables.releaseWeakSlot(sc);
      } else {
        durables.retryWeak(sc, this, failures);
      }
    }

    /** True when nothing is left to do: the copy landed, or the flight was replaced, deleted or expired. */
    private boolean attempt() {
      while (true) {
        FlightVersion v = catalog.get(path);
        if (v == null || v.id() != id || v.durable() == null || v.durable().isLanded() || v.isExpired(clock.instant())) {
          return true;
        }
        if (!v.tryAcquire()) {
          Thread.onSpinWait(); // moving between tiers: look again
          continue;
        }
        try {
          durables.write(sc, path, v.copy(), v.committedAt(), v.expiresAt());
          v.durable().markLanded();
          sc.durableWrites.increment();
          return true;
        } finally {
          v.releaseReader();
        }
      }
    }
  }

  /** Makes a put's {@code copy} the flight at {@code path}; the previous version, if any, leaves. */
  private FlightSummary install(String path, StorageClass sc, int tierIndex, StoredFlight copy, Instant committedAt,
      DurableState durable, UsageLedger.Reservation quota) {
    return install(path, sc, tierIndex, copy, committedAt, sc.config().ttl().map(committedAt::plus), durable, true, quota);
  }

  /**
   * Makes {@code copy} the flight at {@code path}: a put's ({@code put}) or a restored one. The
   * ledger learns the new version before the catalog maps it, so a report that it left (eviction)
   * always finds it counted.
   */
  private FlightSummary install(String path, StorageClass sc, int tierIndex, StoredFlight copy, Instant committedAt,
      Optional<Instant> expiresAt, DurableState durable, boolean put, UsageLedger.Reservation quota) {
    FlightVersion v = new FlightVersion(path, sc, tierIndex, sc.tier(tierIndex).priority(), copy, committedAt, expiresAt,
        versions.incrementAndGet(), durable);
    if (quota != null && put) {
      quotas.ledger().commit(quota, copy.bodyBytes(), v.id(), expiresAt);
    } else if (quota != null) {
      quotas.ledger().restored(quota, copy.bodyBytes(), v.id(), expiresAt);
    }
    sc.flights.incrementAndGet();
    sc.bytes.addAndGet(copy.bytes());
    if (put) {
      sc.puts.increment();
    }
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

  /**
   * Deletes the flight at {@code path}, with its durable copy; readers in progress finish on it. If
   * the durable store cannot delete, nothing is deleted ({@link DurableStoreUnavailableException}).
   */
  public FlightSummary delete(String path) {
    FlightPath.validate(path);
    Optional<StorageClass> sc = classOf(path);
    if (sc.isPresent() && isDurable(sc.get())) {
      return durables.locked(path, () -> deleteDurable(sc.get(), path));
    }
    return deleteLocal(path);
  }

  private static boolean isDurable(StorageClass sc) {
    return sc.config().durability() != Durability.NONE;
  }

  private FlightSummary deleteDurable(StorageClass sc, String path) {
    FlightVersion v = catalog.get(path);
    Instant now = clock.instant();
    if (v != null && !v.isExpired(now)) {
      FlightSummary summary = summarize(v);
      durables.delete(sc, path);
      sc.deletions.increment();
      FlightVersion removed = catalog.remove(path); // null if eviction dropped it meanwhile: the durable copy was all that was left
      if (removed != null) {
        quotas.gone(path, removed.id());
        retire(removed);
      }
      quotas.gone(path, 0); // counted as only durable if it was evicted meanwhile
      return summary;
    }
    Durables.Described d = durables.describe(sc, path).filter(x -> !x.meta().isExpired(now)).orElseThrow(() -> notFound(path));
    durables.delete(sc, path);
    quotas.gone(path, 0);
    sc.deletions.increment();
    if (v != null && catalog.remove(path, v)) {
      expired(v);
    }
    return summarize(sc, d);
  }

  private FlightSummary deleteLocal(String path) {
    FlightVersion v = catalog.remove(path);
    if (v == null || v.isExpired(clock.instant())) {
      if (v != null) {
        expired(v);
      }
      throw notFound(path);
    }
    FlightSummary summary = summarize(v);
    ((StorageClass) v.owner()).deletions.increment();
    quotas.gone(path, v.id());
    retire(v);
    return summary;
  }

  /** Deletes every flight whose path starts with {@code prefix}, with their durable copies; returns how many. */
  public int deletePrefix(String prefix) {
    java.util.Set<String> deleted = new java.util.HashSet<>();
    for (StorageClass sc : durableClasses(prefix)) {
      for (String path : durables.list(sc, prefix).keySet()) {
        if (classOf(path).orElse(null) == sc) {
          try {
            delete(path);
            deleted.add(path);
          } catch (FlightNotFoundException e) {
            // expired, or deleted meanwhile
          }
        }
      }
    }
    int n = deleted.size();
    for (FlightVersion v : List.copyOf(range(prefix).values())) {
      if (deleted.contains(v.path())) {
        continue;
      }
      StorageClass owner = (StorageClass) v.owner();
      if (isDurable(owner)) {
        try {
          delete(v.path());
          n++;
        } catch (FlightNotFoundException e) {
          // gone meanwhile
        }
        continue;
      }
      if (catalog.remove(v.path(), v)) {
        if (!v.isExpired(clock.instant())) {
          ((StorageClass) v.owner()).deletions.increment();
          n++;
          quotas.gone(v.path(), v.id());
          retire(v);
        } else {
          expired(v);
        }
      }
    }
    return n;
  }

  // ---- reads ----------------------------------------------------------------------------

  /**
   * Opens the current version of {@code path} for reading; close the lease when done. A durable
   * flight in no tier is streamed from its durable store to this reader and, as it goes, restored
   * into the first tier of its class that admits it (see {@link RestoringFlight}); a second reader
   * arriving meanwhile, or any reader when no tier admits it, is streamed without caching.
   */
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
        if (sc.isPresent() && isDurable(sc.get())) {
          return openDurable(sc.get(), path, now);
        }
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

  /** Paths being restored now: a second reader of one streams from the store instead of restoring it again. */
  private final java.util.Set<String> restoring = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A lease on the durable copy of {@code path}, restoring it into a tier while it is read if it can. */
  private FlightLease openDurable(StorageClass sc, String path, Instant now) {
    Durables.Described d = durables.describe(sc, path).filter(x -> !x.meta().isExpired(now)).orElseThrow(() -> notFound(path));
    int target = -1;
    for (int i = 0; i < sc.config().tiers().size() && target < 0; i++) {
      TierConfig t = sc.tier(i);
      if (d.meta().bodyBytes() <= t.maxFlightSize() && d.meta().bodyBytes() <= tiers.get(t.storage()).capacity().limit()) {
        target = i;
      }
    }
    StoredFlight flight;
    if (target >= 0 && restoring.add(path)) {
      int tierIndex = target;
      UsageLedger.Reservation quota = quotas.reserveRestore(sc, path);
      flight = new RestoringFlight(durables, sc, path, d, tiers.get(sc.tier(target).storage()),
          (cap, bytes) -> reserve(cap, bytes, path),
          bytes -> chargeQuota(quota, bytes),
          copy -> installRestored(sc, path, tierIndex, d, copy, quota),
          () -> {
            quotas.release(quota); // a no-op once installed
            restoring.remove(path);
          });
    } else {
      sc.durableReads.increment();
      flight = new DurableStreamFlight(durables, sc, path, d);
    }
    FlightVersion v = new FlightVersion(path, sc, -1, 0, flight, d.meta().committedAt(), d.meta().expiresAt(), 0, DurableState.landed());
    v.tryAcquire();
    v.leaveCatalog(); // never mapped itself: the restored copy, if any, is installed as its own version
    return new FlightLease(v, summarize(sc, d));
  }

  /**
   * Makes a restored copy the flight at {@code path}, under the path's lock, unless the path moved
   * on while it was read (a put committed, or the durable object was replaced or deleted): then
   * the copy is freed.
   */
  private void installRestored(StorageClass sc, String path, int tierIndex, Durables.Described restored, StoredFlight copy,
      UsageLedger.Reservation quota) {
    try {
      boolean installed = durables.locked(path, () -> {
        FlightVersion current = catalog.get(path);
        if (current != null && !current.isExpired(clock.instant())) {
          return false;
        }
        Optional<Durables.Described> now = durables.describe(sc, path);
        if (now.isEmpty() || !now.get().meta().checksum().equals(restored.meta().checksum())
            || !now.get().meta().committedAt().equals(restored.meta().committedAt())) {
          return false;
        }
        install(path, sc, tierIndex, copy, restored.meta().committedAt(), restored.meta().expiresAt(), DurableState.landed(), false, quota);
        sc.restores.increment();
        return true;
      });
      if (!installed) {
        copy.free();
      }
    } catch (RuntimeException e) {
      copy.free();
      org.slf4j.LoggerFactory.getLogger(FlightStore.class).warn("Restored copy of \"{}\" not kept: {}", path, e.getMessage());
    }
  }

  /** What is known about the flight at {@code path}, without reading it or counting a hit. */
  public FlightSummary info(String path) {
    FlightPath.validate(path);
    FlightVersion v = catalog.get(path);
    Instant now = clock.instant();
    if (v == null || v.isExpired(now)) {
      Optional<StorageClass> sc = classOf(path);
      if (sc.isPresent() && isDurable(sc.get())) {
        return durables.describe(sc.get(), path)
            .filter(d -> !d.meta().isExpired(now))
            .map(d -> summarize(sc.get(), d))
            .orElseThrow(() -> notFound(path));
      }
      throw notFound(path);
    }
    return summarize(v);
  }

  /**
   * The visible flights whose path starts with {@code prefix}, in path order: those in tiers, and
   * the durable flights of durable classes (listed from their stores; each object's footer is read
   * once and cached).
   */
  public List<FlightSummary> list(String prefix) {
    Instant now = clock.instant();
    NavigableMap<String, FlightSummary> out = new java.util.TreeMap<>();
    for (FlightVersion v : range(prefix).values()) {
      if (!v.isExpired(now)) {
        out.put(v.path(), summarize(v));
      }
    }
    for (StorageClass sc : durableClasses(prefix)) {
      for (Map.Entry<String, dev.hangar.tiers.durable.DurableStore.ObjectInfo> e : durables.list(sc, prefix).entrySet()) {
        String path = e.getKey();
        if (out.containsKey(path) || classOf(path).orElse(null) != sc || !path.startsWith(prefix)) {
          continue;
        }
        FlightVersion v = catalog.get(path);
        if (v != null && v.isExpired(now)) {
          continue;
        }
        durables.describe(sc, path, e.getValue())
            .filter(d -> !d.meta().isExpired(now))
            .ifPresent(d -> out.put(path, summarize(sc, d)));
      }
    }
    return new ArrayList<>(out.values());
  }

  /** The durable classes that may hold flights starting with {@code prefix}. */
  private List<StorageClass> durableClasses(String prefix) {
    List<StorageClass> out = new ArrayList<>();
    for (StorageClass sc : classes) {
      if (isDurable(sc) && (sc.prefix().startsWith(prefix) || prefix.startsWith(sc.prefix()))) {
        out.add(sc);
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
        StorageClass sc = (StorageClass) v.owner();
        if (isDurable(sc)) {
          durables.schedule(() -> deleteIfExpired(sc, v.path()), java.time.Duration.ZERO);
        }
      }
    }
    if (!quotas.isEmpty()) {
      quotas.ledger().expire(now); // flights only in a durable store stop counting when they expire
    }
    return n;
  }

  /**
   * Deletes the durable copies whose TTL has passed, in every durable class (after a restart no
   * catalog remembers them). Only objects old enough to have expired are opened; returns how many
   * were deleted. A store that fails is logged and tried again at the next sweep.
   */
  public int sweepDurable() {
    Instant now = clock.instant();
    int n = 0;
    // Writes a crash abandoned (temporary files, incomplete multipart uploads): those begun before
    // this node started and at least an hour ago, so another node's write in progress is left alone.
    Instant abandonedBefore = java.util.Collections.min(List.of(startedAt, Instant.now().minus(java.time.Duration.ofHours(1))));
    for (StorageClass sc : classes) {
      if (isDurable(sc)) {
        try {
          int removed = durables.removeAbandonedWrites(sc, abandonedBefore);
          if (removed > 0) {
            org.slf4j.LoggerFactory.getLogger(FlightStore.class).info("Removed {} abandoned durable write(s) of {}", removed, sc);
          }
        } catch (StorageException e) {
          org.slf4j.LoggerFactory.getLogger(FlightStore.class).warn("Cleanup of abandoned writes of {} failed, will retry: {}", sc, e.getMessage());
        }
      }
    }
    for (StorageClass sc : classes) {
      if (!isDurable(sc) || sc.config().ttl().isEmpty()) {
        continue;
      }
      try {
        for (Map.Entry<String, dev.hangar.tiers.durable.DurableStore.ObjectInfo> e : durables.list(sc, sc.prefix()).entrySet()) {
          if (classOf(e.getKey()).orElse(null) == sc && e.getValue().lastModified().plus(sc.config().ttl().get()).isBefore(now)
              && deleteIfExpired(sc, e.getKey())) {
            n++;
          }
        }
      } catch (StorageException e) {
        org.slf4j.LoggerFactory.getLogger(FlightStore.class).warn("TTL sweep of {} failed, will retry: {}", sc, e.getMessage());
      }
    }
    return n;
  }

  /** Deletes the durable copy of {@code path} if its own metadata says it has expired. */
  private boolean deleteIfExpired(StorageClass sc, String path) {
    try {
      return durables.locked(path, () -> {
        Instant now = clock.instant();
        FlightVersion v = catalog.get(path);
        if (v != null && !v.isExpired(now)) {
          return false; // a live version (renewed, or put again meanwhile)
        }
        Optional<Durables.Described> d = durables.describe(sc, path);
        if (d.isPresent() && d.get().meta().isExpired(now)) {
          durables.delete(sc, path);
          quotas.gone(path, 0);
          sc.durableExpirations.increment();
          return true;
        }
        return false;
      });
    } catch (StorageException e) {
      org.slf4j.LoggerFactory.getLogger(FlightStore.class).warn("Could not delete the expired durable copy of \"{}\", will retry: {}",
          path, e.getMessage());
      return false;
    }
  }

  /**
   * Counts the flights already in durable stores towards the limit policies of their classes (call
   * it once after a restart, before serving): one LIST of each durable class a policy governs. Such
   * a flight counts its object's size (its Arrow data plus schema, batch headers and footer, a little
   * more than its body bytes) until it is read back into a tier or rewritten, and stops counting at
   * its object's time plus the class's TTL. Returns how many flights it counted.
   *
   * @throws DurableStoreUnavailableException if a store cannot be listed
   */
  public int recoverUsage() {
    if (quotas.isEmpty()) {
      return 0;
    }
    Instant now = clock.instant();
    int n = 0;
    for (StorageClass sc : classes) {
      if (!isDurable(sc) || !quotas.governs(sc)) {
        continue;
      }
      for (Map.Entry<String, dev.hangar.tiers.durable.DurableStore.ObjectInfo> e : durables.list(sc, sc.prefix()).entrySet()) {
        Optional<Instant> expires = sc.config().ttl().map(e.getValue().lastModified()::plus);
        if (classOf(e.getKey()).orElse(null) == sc && (expires.isEmpty() || now.isBefore(expires.get()))) {
          quotas.recover(sc, e.getKey(), e.getValue().size(), expires);
          n++;
        }
      }
    }
    return n;
  }

  /** The usage ledger of the limit policies (tests check it against the flights). */
  public UsageLedger usageLedger() {
    return quotas.ledger();
  }

  /**
   * Checks the limit-policy ledger against the catalog; empty if all holds. With no upload or
   * restore running: every scope's usage is the sum of what its flights hold; always: no scope is
   * above a {@code total}, {@code flights} or {@code ephemeral} limit, every live flight in a tier
   * is counted with its body bytes in {@code ephemeral} and {@code total}, and every flight counted
   * as in a tier is that version in the catalog. (Tests call it after every step; it takes the
   * ledger's monitor, so do not call it on a hot path.)
   */
  public List<String> quotaProblems() {
    List<String> out = new ArrayList<>();
    UsageLedger ledger = quotas.ledger();
    Map<String, UsageLedger.Held> held = ledger.flights();
    Map<Scope, UsageLedger.Usage> usage = ledger.snapshot();
    if (ledger.openReservations() == 0) {
      Map<Scope, long[]> sums = new java.util.HashMap<>();
      held.values().forEach(h -> h.scopes().forEach(sc -> {
        long[] sum = sums.computeIfAbsent(sc, x -> new long[3]);
        sum[0] += h.ephemeral();
        sum[1] += h.total();
        sum[2]++;
      }));
      java.util.Set<Scope> all = new java.util.HashSet<>(sums.keySet());
      all.addAll(usage.keySet());
      for (Scope sc : all) {
        long[] sum = sums.getOrDefault(sc, new long[3]);
        UsageLedger.Usage u = usage.getOrDefault(sc, new UsageLedger.Usage(0, 0, 0));
        if (u.ephemeral() != sum[0] || u.total() != sum[1] || u.flights() != sum[2]) {
          out.add(sc + ": usage " + u + " but its flights hold ephemeral " + sum[0] + ", total " + sum[1] + ", flights " + sum[2]);
        }
      }
    }
    usage.forEach((sc, u) -> {
      dev.hangar.config.LimitPolicyConfig.Limits l = sc.limits();
      if (l.total().isPresent() && u.total() > l.total().getAsLong()
          || l.flights().isPresent() && u.flights() > l.flights().getAsLong()
          || l.ephemeral().isPresent() && u.ephemeral() > l.ephemeral().getAsLong()) {
        out.add(sc + ": usage " + u + " is above its limits " + l);
      }
    });
    Instant now = clock.instant();
    java.util.Set<Long> live = new java.util.HashSet<>();
    for (FlightVersion v : catalog.values()) {
      live.add(v.id());
      List<Scope> scopes = quotas.scopesOf((StorageClass) v.owner(), v.path());
      UsageLedger.Held h = held.get(v.path());
      if (scopes.isEmpty() || v.isExpired(now)) {
        continue;
      }
      if (h == null || h.tierVersion() != v.id() || h.ephemeral() != v.copy().bodyBytes() || h.total() != v.copy().bodyBytes()) {
        out.add("flight \"" + v.path() + "\" (version " + v.id() + ", " + v.copy().bodyBytes() + " body bytes) is counted as " + h);
      }
    }
    held.forEach((path, h) -> {
      if (h.tierVersion() != 0 && !live.contains(h.tierVersion())) {
        out.add("flight \"" + path + "\" is counted in a tier as version " + h.tierVersion() + ", which the catalog does not hold");
      }
    });
    return out;
  }

  /** The limit-policy scopes that govern {@code path}, outer levels first; empty if none does. */
  public List<Scope> scopesOf(String path) {
    return classOf(path).map(sc -> quotas.scopesOf(sc, path)).orElse(List.of());
  }

  /** Waits up to {@code deadline} for weak flights' durable copies to land; returns how many did not. */
  public int flushWeak(java.time.Duration deadline) {
    return durables.drain(deadline);
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
          sc.expirations.sum(),
          sc.restores.sum(),
          sc.durableReads.sum(),
          sc.durableWrites.sum(),
          sc.durableFailures.sum(),
          sc.durableExpirations.sum()));
    }
    return new StoreStats(types, cls, durables.pendingWeakWrites(), quotas.stats());
  }

  // ---- internals ------------------------------------------------------------------------

  private NavigableMap<String, FlightVersion> range(String prefix) {
    if (prefix.isEmpty()) {
      return catalog;
    }
    return catalog.subMap(prefix, true, prefix + Character.MAX_VALUE, true);
  }

  private void expired(FlightVersion v) {
    quotas.gone(v.path(), v.id());
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

  /** A durable flight that is in no tier, as its footer describes it. */
  private static FlightSummary summarize(StorageClass sc, Durables.Described d) {
    return new FlightSummary(
        d.meta().path(),
        sc.prefix(),
        sc.config().durability(),
        null,
        d.schema(),
        d.meta().rows(),
        d.meta().batches(),
        0,
        d.meta().bodyBytes(),
        d.meta().committedAt(),
        d.meta().expiresAt(),
        d.meta().committedAt(),
        0,
        0,
        sc.config().tiers().stream().map(t -> t.storage().key()).toList(),
        "stored");
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
        sc.config().tiers().stream().map(t -> t.storage().key()).toList(),
        v.durable() == null ? "none" : v.durable().isLanded() ? "stored" : "pending");
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
    AutoCloseables.closeNoChecked(() -> AutoCloseables.close(durables, () -> AutoCloseables.close(tiers.values())));
  }
}
