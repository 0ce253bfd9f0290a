package dev.hangar.storage.check;

import dev.hangar.config.LimitPolicyConfig;
import dev.hangar.config.StorageType;
import dev.hangar.limits.Scope;
import dev.hangar.limits.UsageLedger;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.CatalogEntry;
import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.storage.placement.Placement;
import dev.hangar.storage.quota.Quotas;
import dev.hangar.tiers.Tier;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The invariants of the store (see {@code FlightStore}), checked against its state. Each method
 * returns what does not hold, empty if all does. Meant for tests: it walks the whole catalog and
 * takes the ledger's monitor.
 */
public final class StoreInvariants {
  private final Catalog catalog;
  private final Placement placement;
  private final Quotas quotas;
  private final Clock clock;

  public StoreInvariants(Catalog catalog, Placement placement, Quotas quotas, Clock clock) {
    this.catalog = catalog;
    this.placement = placement;
    this.quotas = quotas;
    this.clock = clock;
  }

  /** Every invariant; call it with no put, read (lease) or background write running. */
  public List<String> all() {
    List<String> out = new ArrayList<>(accounting(true));
    out.addAll(quotaProblems());
    return out;
  }

  /**
   * What holds whenever no put or background write is running, even while readers hold leases (a
   * replaced version still read keeps its bytes): used bytes at least those of the catalog's versions
   * and within capacity, queues, class counters and the limit-policy ledger.
   */
  public List<String> atRest() {
    List<String> out = new ArrayList<>(accounting(false));
    out.addAll(quotaProblems());
    return out;
  }

  private static long files(java.nio.file.Path dir) {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return 0; // closed
    }
    try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
      return s.count();
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  /**
   * With nothing running ({@code exact}): each storage type's used bytes are the bytes of the versions the catalog
   * holds in it, within its capacity, and its queue holds exactly those versions; each class's
   * counters are its versions in tiers; every mapped version is in the catalog by its own account.
   */
  private List<String> accounting(boolean exact) {
    List<String> out = new ArrayList<>();
    Map<StorageType, long[]> byType = new EnumMap<>(StorageType.class);
    Map<StorageClass, long[]> byClass = new HashMap<>();
    for (CatalogEntry e : catalog.entries()) {
      if (!(e instanceof FlightVersion v)) {
        continue;
      }
      if (!v.isInCatalog()) {
        out.add(v + " is mapped but has left the catalog");
      }
      if (exact && v.readers() != 0) {
        out.add(v + " still has " + v.readers() + " reader(s)");
      }
      long[] t = byType.computeIfAbsent(v.copy().storageType(), x -> new long[2]);
      t[0] += v.copy().bytes();
      t[1]++;
      long[] c = byClass.computeIfAbsent(v.storageClass(), x -> new long[2]);
      c[0] += v.copy().bytes();
      c[1]++;
    }
    for (Map.Entry<StorageType, Tier> t : placement.tiers().entrySet()) {
      long[] sum = byType.getOrDefault(t.getKey(), new long[2]);
      long used = t.getValue().capacity().used();
      if (exact ? used != sum[0] : used < sum[0]) {
        out.add("storage " + t.getKey() + ": " + used + " bytes in use, but its flights in the catalog hold " + sum[0]);
      }
      if (t.getValue() instanceof dev.hangar.tiers.disk.DiskTier disk) {
        long files = files(disk.directory());
        if (exact ? files != sum[1] : files < sum[1]) {
          out.add("storage " + t.getKey() + ": " + files + " files on disk for " + sum[1] + " flights in the catalog");
        }
      }
      if (used > t.getValue().capacity().limit()) {
        out.add("storage " + t.getKey() + ": " + used + " bytes in use, above its capacity " + t.getValue().capacity().limit());
      }
      int queued = catalog.queue(t.getKey()).size();
      if (queued != sum[1]) {
        out.add("storage " + t.getKey() + ": its eviction queue holds " + queued + " flights, the catalog " + sum[1]);
      }
    }
    for (StorageClass sc : placement.classes()) {
      long[] sum = byClass.getOrDefault(sc, new long[2]);
      if (sc.flights.get() != sum[1] || sc.bytes.get() != sum[0]) {
        out.add(sc + ": counts " + sc.flights.get() + " flights of " + sc.bytes.get() + " bytes, the catalog holds " + sum[1]
            + " of " + sum[0]);
      }
    }
    return out;
  }

  /**
   * The limit-policy ledger against the catalog. With no upload or restore running: every scope's
   * usage is the sum of what its flights hold. Always: no scope is above a limit, every live flight
   * in a tier is counted with its body bytes, and every flight counted as in a tier is that version
   * in the catalog.
   */
  public List<String> quotaProblems() {
    List<String> out = new ArrayList<>();
    UsageLedger ledger = quotas.ledger();
    Map<String, UsageLedger.Held> held = ledger.flights();
    Map<Scope, UsageLedger.Usage> usage = ledger.snapshot();
    if (ledger.openReservations() == 0) {
      Map<Scope, long[]> sums = new HashMap<>();
      held.values().forEach(h -> h.scopes().forEach(sc -> {
        long[] sum = sums.computeIfAbsent(sc, x -> new long[3]);
        sum[0] += h.ephemeral();
        sum[1] += h.total();
        sum[2]++;
      }));
      Set<Scope> all = new HashSet<>(sums.keySet());
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
      LimitPolicyConfig.Limits l = sc.limits();
      if (l.total().isPresent() && u.total() > l.total().getAsLong()
          || l.flights().isPresent() && u.flights() > l.flights().getAsLong()
          || l.ephemeral().isPresent() && u.ephemeral() > l.ephemeral().getAsLong()) {
        out.add(sc + ": usage " + u + " is above its limits " + l);
      }
    });
    Instant now = clock.instant();
    Set<Long> live = new HashSet<>();
    for (CatalogEntry e : catalog.entries()) {
      if (!(e instanceof FlightVersion v)) {
        continue;
      }
      live.add(v.id());
      List<Scope> scopes = quotas.scopesOf(v.storageClass(), v.path());
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
}
