package dev.hangar.storage;

import dev.hangar.config.LimitPolicyConfig;
import dev.hangar.config.ServerConfig;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.limits.Scope;
import dev.hangar.limits.UsageLedger;
import dev.hangar.storage.admission.Admission;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.DurableEntry;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.check.StoreInvariants;
import dev.hangar.storage.durability.Commits;
import dev.hangar.storage.durability.DurableReads;
import dev.hangar.storage.durability.DurableSweeps;
import dev.hangar.storage.durability.Durables;
import dev.hangar.storage.eviction.CapacityEviction;
import dev.hangar.storage.eviction.ScopeEviction;
import dev.hangar.storage.expiry.Expiry;
import dev.hangar.storage.idempotency.IdempotentPuts;
import dev.hangar.storage.movement.Movement;
import dev.hangar.storage.placement.Placement;
import dev.hangar.storage.quota.Quotas;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.JavaMessages;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.util.AutoCloseables;

/**
 * The flights of one node: a facade over the policies, each in its own package.
 *
 * <ul>
 *   <li>{@code placement}: which class a path belongs to, which tier a flight goes to;
 *   <li>{@code admission}: whether a put may start, and what it holds while it runs;
 *   <li>{@code catalog}: every flight the node knows, in a tier or durable-only;
 *   <li>{@code eviction}: room in a storage type ({@link CapacityEviction}) and in a limit-policy
 *       scope ({@link ScopeEviction});
 *   <li>{@code movement}: moves down after idling, promotion after repeated reads;
 *   <li>{@code expiry}: TTL;
 *   <li>{@code durability}: commit modes and the weak queue, reads and restores of durable-only
 *       flights, indexing and sweeping the stores;
 *   <li>{@code quota}: the limit policies' ledger;
 *   <li>{@code idempotency}: retried puts answered once;
 *   <li>{@code check}: the invariants tests hold the store to.
 * </ul>
 *
 * <p><b>Locks, outermost first.</b> No lock is held across disk or network I/O, and none across a
 * call into another policy except as listed.
 * <ol>
 *   <li>A path's lock ({@link Durables#locked}): held only around a commit point of that path, one
 *       store call (a multipart complete, a small PUT, a rename, a DELETE) plus the catalog change
 *       that goes with it. Restores take it only if free. Inside it the catalog and the queues
 *       below may be used.
 *   <li>An eviction queue's monitor ({@link dev.hangar.storage.eviction.EvictionQueue}): held while
 *       a victim is chosen and taken out; nothing is copied or freed under it.
 *   <li>The usage ledger's monitor ({@link UsageLedger}): held inside its own methods only.
 *   <li>A version's monitor ({@link FlightVersion}): innermost; its readers and whether it is in
 *       the catalog. It is taken under a queue's monitor, never the reverse.
 * </ol>
 * Queue monitors are never nested (a spill reserves room in the next storage type after leaving
 * the first's monitor), so no order of storage types in a class can deadlock.
 *
 * <p><b>Invariants</b> (checked by {@link StoreInvariants} after every storage test): a storage
 * type's used bytes are the bytes of its live copies (committed, being written, or replaced and
 * still read) and never exceed its capacity; a class's {@code flights} and {@code bytes} are its
 * versions in the catalog; each version in the catalog is in its type's queue; the ledger counts
 * exactly the flights the catalog holds, and no scope is above a limit.
 */
public final class FlightStore implements AutoCloseable {
  private final Clock clock;
  private final Placement placement;
  private final Catalog catalog;
  private final Quotas quotas;
  private final Durables durables;
  private final Map<StorageType, StorageTypeCounters> counters = new EnumMap<>(StorageType.class);
  private final Admission admission;
  private final CapacityEviction capacity;
  private final Movement movement;
  private final Expiry expiry;
  private final DurableReads durableReads;
  private final DurableSweeps sweeps;
  private final Upload.Parts uploadParts;
  private final IdempotentPuts idempotency;

  /** Whether other cluster nodes write to the same durable stores (see {@link #shareDurableStores}). */
  private volatile boolean sharedDurables;
  private final Commits commits;

  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Clock clock) {
    this(classes, tiers, Durables.none(), clock);
  }

  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Durables durables, Clock clock) {
    this(classes, tiers, durables, List.of(), clock);
  }

  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Durables durables,
      List<LimitPolicyConfig> limitPolicies, Clock clock) {
    this(classes, tiers, durables, limitPolicies, ServerConfig.DEFAULT_IDEMPOTENCY_WINDOW, clock);
  }

  /**
   * @param tiers the storage types of this node; the store closes them when it closes
   * @param durables the durable stores the classes name (closed with the store)
   * @param limitPolicies quotas over the classes; after a restart, call {@link #recoverUsage()}
   *     before serving so durable flights count
   * @param idempotencyWindow how long a put's idempotency key is remembered
   * @param clock the store's time, for TTL, moves and idempotency keys (tests advance it)
   */
  public FlightStore(List<StorageClassConfig> classes, Map<StorageType, Tier> tiers, Durables durables,
      List<LimitPolicyConfig> limitPolicies, Duration idempotencyWindow, Clock clock) {
    this.clock = clock;
    this.idempotency = new IdempotentPuts(idempotencyWindow, () -> TimeUnit.MILLISECONDS.toNanos(clock.millis()));
    this.durables = durables;
    durables.checkClasses(classes);
    this.placement = new Placement(classes, tiers);
    this.quotas = new Quotas(limitPolicies);
    this.catalog = new Catalog(tiers.keySet());
    tiers.keySet().forEach(t -> counters.put(t, new StorageTypeCounters()));
    this.admission = new Admission(placement, quotas, durables);
    this.capacity = new CapacityEviction(catalog, placement, quotas, counters);
    ScopeEviction scopes = new ScopeEviction(catalog, quotas, capacity);
    this.movement = new Movement(catalog, capacity, counters);
    this.sweeps = new DurableSweeps(catalog, durables, placement, quotas, clock);
    this.expiry = new Expiry(catalog, quotas, counters,
        (sc, path) -> durables.schedule(() -> sweeps.deleteIfExpired(sc, path), Duration.ZERO));
    this.durableReads = new DurableReads(catalog, durables, placement, quotas, capacity, scopes);
    this.commits = new Commits(catalog, durables, quotas, clock);
    this.uploadParts = new Upload.Parts(placement, capacity, scopes, commits,
        durables.allocator(), counters);
    catalog.onEnter(e -> {
      expiry.schedule(e);
      movement.schedule(e);
    });
  }

  public Optional<StorageClass> classOf(String path) {
    return placement.classOf(path);
  }

  /** Every storage class, in configuration order. */
  public List<StorageClass> classes() {
    return placement.classes();
  }

  public Map<StorageType, Tier> tiers() {
    return placement.tiers();
  }

  // ---- writes ---------------------------------------------------------------------------

  /** Starts a put of data an in-process producer holds as Arrow Java vectors. */
  public Upload beginPut(String path, org.apache.arrow.vector.types.pojo.Schema schema, OptionalLong expectedBytes) {
    return beginPut(path, JavaMessages.schema(schema), expectedBytes);
  }

  /** Starts a put of a flight whose schema message is {@code schema}. */
  public Upload beginPut(String path, FlightSchema schema, OptionalLong expectedBytes) {
    return beginPut(path, schema, expectedBytes, null);
  }

  /**
   * Starts a put that carries {@code idempotencyKey} (null: none). A retry of a put that succeeded
   * with the same key and path within the window gets an upload that stores nothing and commits to
   * the first result; one that arrives while the first runs waits for it here.
   */
  public Upload beginPut(String path, FlightSchema schema, OptionalLong expectedBytes, String idempotencyKey) {
    if (idempotencyKey == null) {
      return new Upload(uploadParts, path, schema, admission.admit(path, schema, expectedBytes, null), null);
    }
    FlightPath.validate(path);
    IdempotentPuts.validate(idempotencyKey);
    IdempotentPuts.Claim claim = idempotency.claim(path, idempotencyKey, () -> earlierPut(path, idempotencyKey));
    if (claim instanceof IdempotentPuts.Replay replay) {
      return Upload.replay(path, schema, replay.summary());
    }
    IdempotentPuts.Owner owner = (IdempotentPuts.Owner) claim;
    try {
      return new Upload(uploadParts, path, schema, admission.admit(path, schema, expectedBytes, idempotencyKey), owner);
    } catch (RuntimeException e) {
      owner.failed();
      throw e;
    }
  }

  /** A durable flight at {@code path} written by a put with {@code key} within the window (the key is in its footer). */
  private Optional<FlightSummary> earlierPut(String path, String key) {
    Instant now = clock.instant();
    Instant since = now.minus(idempotency.window());
    CatalogEntry e = catalog.get(path);
    if (e instanceof FlightVersion v) {
      boolean same = v.durable() != null && key.equals(v.durable().idempotencyKey()) && v.committedAt().isAfter(since);
      return same && !v.isExpired(now) ? Optional.of(FlightSummary.of(v)) : Optional.empty();
    }
    return classOf(path).filter(StorageClass::isDurable).flatMap(c -> durableReads.find(c, path, now, false))
        .filter(d -> key.equals(d.idempotencyKey()) && d.committedAt().isAfter(since)).map(FlightSummary::of);
  }

  /**
   * Deletes the flight at {@code path}, with its durable copy; readers in progress finish on it. If
   * the durable store cannot delete, nothing is deleted ({@link DurableStoreUnavailableException}).
   */
  public FlightSummary delete(String path) {
    FlightPath.validate(path);
    Optional<StorageClass> sc = classOf(path);
    Instant now = clock.instant();
    if (sharedDurables) { // in a cluster, the only place replica copies come from: a late one must not bring it back
      commits.deleted(path, now);
    }
    if (sc.isEmpty() || !sc.get().isDurable()) {
      CatalogEntry e = catalog.remove(path);
      if (!(e instanceof FlightVersion v) || v.isExpired(now)) {
        throw notFound(path);
      }
      v.storageClass().deletions.increment();
      quotas.gone(path, v.id());
      return FlightSummary.of(v);
    }
    CatalogEntry e = catalog.get(path);
    FlightSummary summary = e instanceof FlightVersion v && !v.isExpired(now) ? FlightSummary.of(v)
        : durableReads.find(sc.get(), path, now, false).map(FlightSummary::of).orElseThrow(() -> notFound(path));
    return durables.locked(path, () -> {
      durables.delete(sc.get(), path); // the commit point: if it fails, nothing changed
      catalog.noteRemoved(sc.get(), path);
      if (catalog.remove(path) instanceof FlightVersion v) {
        quotas.gone(path, v.id());
      }
      quotas.gone(path, 0);
      sc.get().deletions.increment();
      return summary;
    });
  }

  /** Deletes every flight whose path starts with {@code prefix}, with their durable copies; returns how many. */
  public int deletePrefix(String prefix) {
    return deletePrefixPaths(prefix).size();
  }

  /** {@link #deletePrefix}, returning the paths it deleted. */
  public List<String> deletePrefixPaths(String prefix) {
    java.util.Set<String> paths = new java.util.TreeSet<>(catalog.range(prefix).keySet());
    for (StorageClass sc : placement.durableClasses(prefix)) {
      if (!catalog.isIndexed(sc) || sharedDurables) { // another node may have written some since the index
        durables.list(sc, prefix).keySet().stream().filter(p -> classOf(p).orElse(null) == sc).forEach(paths::add);
      }
    }
    List<String> deleted = new java.util.ArrayList<>();
    for (String path : paths) {
      try {
        delete(path);
        deleted.add(path);
      } catch (FlightNotFoundException e) {
        // expired, or deleted meanwhile
      }
    }
    return deleted;
  }

  // ---- cluster copies -------------------------------------------------------------------

  /**
   * Starts storing a cluster replica of {@code path}: the flight's copy on an owner that is not its
   * primary. It goes into the tiers and counts towards limit policies like any flight; it writes no
   * durable object (the primary wrote it) and carries no idempotency key. Copies are ordered by
   * {@code committedAt}, the primary's commit time: a copy older than the version this node holds,
   * or than a delete of the path this node saw, is refused at commit ({@link StaleCopyException}).
   */
  public Upload beginReplica(String path, FlightSchema schema, OptionalLong expectedBytes, Instant committedAt) {
    return new Upload(uploadParts, path, schema, admission.admitReplica(path, expectedBytes, committedAt), null);
  }

  /**
   * Tells the store that other nodes of a cluster write to its durable stores too: lookups of paths
   * its index does not know then ask the store instead of answering "not found".
   */
  public void shareDurableStores() {
    sharedDurables = true;
    durableReads.shared();
  }

  /** Whether this node holds {@code path} in one of its tiers now (not only as a durable object). */
  public boolean holds(String path) {
    return catalog.get(path) instanceof FlightVersion v && !v.isExpired(clock.instant());
  }

  /**
   * Drops this node's copy of {@code path} from its tiers, leaving any durable copy alone (a cluster
   * node that no longer owns the flight, or a delete whose durable part another node did). Readers in
   * progress finish on it. Returns what was dropped, or empty if there was no copy.
   */
  public Optional<FlightSummary> dropLocal(String path) {
    FlightPath.validate(path);
    if (catalog.get(path) instanceof FlightVersion v && catalog.remove(path) == v) {
      v.storageClass().deletions.increment();
      quotas.gone(path, v.id());
      return v.isExpired(clock.instant()) ? Optional.empty() : Optional.of(FlightSummary.of(v));
    }
    return Optional.empty();
  }

  /**
   * Forgets {@code path} on this node after another node deleted it, durable copy and all: the tier
   * copy, if any, and the entry this node's durable index had for it (else it would still be listed).
   * Returns what was dropped from the tiers, or empty.
   */
  public Optional<FlightSummary> forgetDeleted(String path) {
    commits.deleted(path, clock.instant());
    Optional<FlightSummary> dropped = dropLocal(path);
    if (catalog.get(path) instanceof dev.hangar.storage.catalog.DurableEntry e && catalog.remove(e)) {
      quotas.gone(path, 0);
    }
    return dropped;
  }

  /** {@link #forgetDeleted} of every flight this node knows under {@code prefix}; returns the paths dropped from its tiers. */
  public List<String> forgetDeletedPrefix(String prefix) {
    List<String> dropped = new java.util.ArrayList<>();
    for (String path : new java.util.TreeSet<>(catalog.range(prefix).keySet())) {
      if (forgetDeleted(path).isPresent()) {
        dropped.add(path);
      }
    }
    return dropped;
  }

  // ---- reads ----------------------------------------------------------------------------

  /**
   * Opens the current version of {@code path} for reading; close the lease when done. A durable
   * flight in no tier is streamed from its store and, as it goes, restored into a tier if one admits
   * it (a second reader meanwhile streams without caching).
   */
  public FlightLease open(String path) {
    FlightPath.validate(path);
    Instant now = clock.instant();
    FlightVersion v = catalog.acquire(path);
    if (v != null && v.isExpired(now)) {
      v.releaseReader();
      expiry.expire(v);
      v = null;
    }
    if (v != null) {
      return hit(v, now);
    }
    Optional<StorageClass> sc = classOf(path);
    sc.ifPresent(c -> c.misses.increment());
    DurableEntry e = sc.filter(StorageClass::isDurable).flatMap(c -> durableReads.find(c, path, now, false))
        .orElseThrow(() -> notFound(path));
    FlightVersion streamed = durableReads.open(e);
    return new FlightLease(streamed, FlightSummary.of(e));
  }

  /**
   * A lease on {@code path} if its current version is in memory or a mapped file and unexpired, so that
   * reading it waits on no disk read and no durable store; otherwise null, having changed nothing (no
   * hit or miss counted, no expiry done: {@link #open} does those). Not a hint: the
   * lease holds the version it checked, whose copy never changes.
   */
  public FlightLease openResident(String path) {
    FlightPath.validate(path);
    Instant now = clock.instant();
    FlightVersion v = catalog.acquire(path);
    if (v == null) {
      return null;
    }
    StorageType type = v.copy().storageType();
    if (v.isExpired(now) || (type != StorageType.MEMORY && type != StorageType.DISK_MAPPED)) {
      v.releaseReader();
      return null;
    }
    return hit(v, now);
  }

  /** Counts a read of {@code v}, which holds a reader for the lease returned. */
  private FlightLease hit(FlightVersion v, Instant now) {
    v.touch(now);
    v.counted();
    movement.read(v, now);
    catalog.queue(v.copy().storageType()).touch(v);
    counters.get(v.copy().storageType()).hits.increment();
    v.storageClass().hits.increment();
    return new FlightLease(v, FlightSummary.of(v));
  }

  /**
   * Whether a put to {@code path} of less than {@code margin} bytes, without an idempotency key,
   * would wait on no disk and no durable store: its class keeps no durable copy, is under no limit
   * policy (whose eviction may spill), and writes to memory first, and the memory tier has {@code
   * margin} bytes free, so that it needs no eviction (which may spill other flights to disk). A
   * hint: other puts may take the room meanwhile.
   */
  public boolean putsWithoutWaiting(String path, long margin) {
    Optional<StorageClass> sc = classOf(path);
    if (sc.isEmpty() || sc.get().isDurable() || quotas.governs(sc.get()) || sc.get().tier(0).storage() != StorageType.MEMORY) {
      return false;
    }
    Tier memory = placement.tiers().get(StorageType.MEMORY);
    return memory != null && memory.capacity().free() >= margin;
  }

  /**
   * A lease for one reader on a copy of {@code path} that this node does not hold (another node's,
   * streamed): it is not in the catalog, holds no tier bytes and counts no hit; closing the lease
   * frees {@code copy}.
   */
  public FlightLease elsewhere(String path, dev.hangar.tiers.StoredFlight copy) {
    FlightPath.validate(path);
    StorageClass sc = classOf(path).orElseThrow(() -> notFound(path));
    FlightVersion v = new FlightVersion(path, sc, -1, 0, copy, clock.instant(), Optional.empty(), 0);
    v.tryAcquire();
    v.leaveCatalog();
    return new FlightLease(v, FlightSummary.of(v));
  }

  /** What is known about the flight at {@code path}, without reading it or counting a hit. */
  public FlightSummary info(String path) {
    FlightPath.validate(path);
    Instant now = clock.instant();
    if (catalog.get(path) instanceof FlightVersion v && !v.isExpired(now)) {
      return FlightSummary.of(v);
    }
    // a durable-only flight whose footer is not read yet needs its store; one already resolved does not
    return classOf(path).filter(StorageClass::isDurable).flatMap(c -> durableReads.find(c, path, now, false))
        .map(FlightSummary::of).orElseThrow(() -> notFound(path));
  }

  /**
   * The visible flights whose path starts with {@code prefix}, in path order, from the catalog. A
   * durable class not indexed yet is also listed from its store, if the store answers.
   */
  public List<FlightSummary> list(String prefix) {
    List<FlightSummary> out = new ArrayList<>();
    iterate(prefix).forEachRemaining(out::add);
    return out;
  }

  /**
   * As {@link #list}, produced one flight at a time as the caller takes them (ListFlights streams
   * this). Durable stores shared with other nodes are listed too, for the flights they wrote.
   */
  public Iterator<FlightSummary> iterate(String prefix) {
    return iterate(prefix, sharedDurables);
  }

  /**
   * As {@link #iterate(String)}; {@code askSharedStores} false lists durable stores shared with other
   * nodes only as a single node would (for another node's listing of this one: the node the client
   * called lists the shared stores itself).
   */
  public Iterator<FlightSummary> iterate(String prefix, boolean askSharedStores) {
    return new Listing(catalog, placement, durables, durableReads).iterate(prefix, clock.instant(), askSharedStores && sharedDurables);
  }

  /** Extends the TTL of the flight at {@code path} by its class's TTL from now; returns the summary. */
  public FlightSummary renew(String path) {
    FlightPath.validate(path);
    Instant now = clock.instant();
    if (!(catalog.get(path) instanceof FlightVersion v) || v.isExpired(now)) {
      throw notFound(path);
    }
    v.storageClass().config().ttl().ifPresent(ttl -> {
      v.renew(now.plus(ttl));
      expiry.schedule(v);
    });
    return FlightSummary.of(v);
  }

  // ---- background work ------------------------------------------------------------------

  /** Removes the flights whose TTL has passed; returns how many. */
  public int expireDue() {
    return expiry.expireDue(clock.instant());
  }

  /** Runs the moves and promotions that are due; returns how many flights moved. */
  public int maintain() {
    return movement.maintain(clock.instant());
  }

  /** Deletes expired durable copies no catalog entry schedules, and abandoned writes. */
  public int sweepDurable() {
    return sweeps.sweep();
  }

  /** Indexes the durable classes a limit policy governs, so their flights count; call before serving. */
  public int recoverUsage() {
    return sweeps.recoverUsage();
  }

  /**
   * Indexes every durable class into the catalog, then reads the footers indexing left unread
   * (call in the background after start-up, and at each durable sweep). Returns how many footers it read.
   */
  public int indexDurable() {
    sweeps.indexAll();
    return durableReads.resolveAll(clock.instant());
  }

  /** Waits up to {@code deadline} for weak flights' durable copies to land; returns how many did not. */
  public int flushWeak(Duration deadline) {
    return durables.drain(deadline);
  }

  // ---- inspection -----------------------------------------------------------------------

  /** Durable writing right now: objects being written, weak copies waiting and the oldest's wait, retries since start. */
  public record DurableActivity(int uploadsOpen, int weakPending, Duration oldestWeakWait, long weakRetries) {}

  public DurableActivity durableActivity() {
    return new DurableActivity(durables.uploadsOpen(), durables.pendingWeakWrites(), durables.oldestWeakWait(), durables.weakRetries());
  }

  /** Evictions made to keep limit-policy scopes under their {@code ephemeral} limits, since start. */
  public long limitPolicyEvictions() {
    return quotas.totalEvictions();
  }

  /** The store's caches by name, for their stats: durable footers, idempotency results. */
  public Map<String, com.github.benmanes.caffeine.cache.Cache<?, ?>> caches() {
    return Map.of("durable_footers", durables.footerCache(), "idempotency_results", idempotency.cache());
  }

  /** A flight held in a tier, with the reads of its current version. */
  public record Held(String path, String storageClass, String tier, long bytes, long rows, int reads) {}

  /**
   * The {@code n} largest and the {@code n} most read flights held in tiers (the status page). One
   * pass over the catalog.
   */
  public List<List<Held>> largestAndHottest(int n) {
    java.util.PriorityQueue<Held> largest = new java.util.PriorityQueue<>(java.util.Comparator.comparingLong(Held::bytes));
    java.util.PriorityQueue<Held> hottest = new java.util.PriorityQueue<>(java.util.Comparator.comparingInt(Held::reads));
    for (var e : catalog.entries()) {
      if (e instanceof FlightVersion v) {
        Held h = new Held(v.path(), v.storageClass().prefix(), v.copy().storageType().key(), v.copy().bytes(), v.copy().rows(), v.reads());
        largest.add(h);
        hottest.add(h);
        if (largest.size() > n) {
          largest.poll();
        }
        if (hottest.size() > n) {
          hottest.poll();
        }
      }
    }
    List<Held> big = new ArrayList<>(largest);
    big.sort(java.util.Comparator.comparingLong(Held::bytes).reversed());
    List<Held> hot = new ArrayList<>(hottest);
    hot.removeIf(h -> h.reads() == 0);
    hot.sort(java.util.Comparator.comparingInt(Held::reads).reversed());
    return List.of(big, hot);
  }

  /** By durable store id: null if it answers now, else why not (readiness asks this). */
  public Map<String, String> probeDurableStores() {
    return durables.probe();
  }

  public UsageLedger usageLedger() {
    return quotas.ledger();
  }

  /** The limit-policy scopes that govern {@code path}, outer levels first; empty if none does. */
  public List<Scope> scopesOf(String path) {
    return classOf(path).map(sc -> quotas.scopesOf(sc, path)).orElse(List.of());
  }

  /** The store's invariants that do not hold now; empty if all hold (see {@link StoreInvariants}). */
  public List<String> quotaProblems() {
    return new StoreInvariants(catalog, placement, quotas, clock).quotaProblems();
  }

  /** Every invariant of the class note that does not hold now (call with no put or read running). */
  public List<String> problems() {
    return new StoreInvariants(catalog, placement, quotas, clock).all();
  }

  /** The invariants that hold whenever no put runs, even while leases are held (see {@link StoreInvariants#atRest}). */
  public List<String> problemsAtRest() {
    return new StoreInvariants(catalog, placement, quotas, clock).atRest();
  }

  public StoreStats stats() {
    return StoreStats.collect(placement, catalog, counters, durables.pendingWeakWrites(), quotas.stats());
  }

  private static FlightNotFoundException notFound(String path) {
    return new FlightNotFoundException("Flight \"%s\" not found", path);
  }

  /** Drops every flight and closes the tiers. Call it once no read or put is running. */
  @Override
  public void close() {
    for (CatalogEntry e : List.copyOf(catalog.entries())) {
      catalog.remove(e);
    }
    AutoCloseables.closeNoChecked(() -> AutoCloseables.close(durables, () -> AutoCloseables.close(placement.tiers().values())));
  }
}
