package dev.hangar.storage.quota;

import dev.hangar.storage.EphemeralLimitException;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.StoreStats;

import dev.hangar.config.LimitPolicyConfig;
import dev.hangar.config.Sizes;
import dev.hangar.limits.LimitPolicies;
import dev.hangar.limits.QuotaExceededException;
import dev.hangar.limits.Scope;
import dev.hangar.limits.UsageLedger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The limit policies as the flight store applies them: which scopes govern a flight, the {@link
 * UsageLedger} that counts them, and per-scope counters for {@code stats}. Every method is a no-op
 * (and returns null reservations) for a path no policy governs, so a node without policies pays
 * nothing.
 */
public final class Quotas {
  private final LimitPolicies policies;
  private final UsageLedger ledger = new UsageLedger();
  private final Map<Scope, LongAdder> evictions = new ConcurrentHashMap<>();
  private final Map<Scope, LongAdder> rejections = new ConcurrentHashMap<>();

  public Quotas(List<LimitPolicyConfig> configs) {
    this.policies = new LimitPolicies(configs);
  }

  public boolean isEmpty() {
    return policies.isEmpty();
  }

  /** Whether any policy governs {@code sc}. */
  public boolean governs(StorageClass sc) {
    return policies.configs().stream().anyMatch(p -> p.storageClasses().contains(sc.prefix()));
  }

  public UsageLedger ledger() {
    return ledger;
  }

  public List<Scope> scopesOf(StorageClass sc, String path) {
    return policies.isEmpty() ? List.of() : policies.scopesOf(sc.prefix(), path);
  }

  /**
   * Reserves room for a put of {@code expected} bytes (0 if unknown: it grows as batches arrive);
   * null if no policy governs the path.
   */
  public UsageLedger.Reservation reserve(StorageClass sc, String path, long expected) {
    List<Scope> scopes = scopesOf(sc, path);
    if (scopes.isEmpty()) {
      return null;
    }
    for (Scope s : scopes) { // announced larger than an ephemeral limit: fail before evicting anything for it
      if (s.limits().ephemeral().isPresent() && expected > s.limits().ephemeral().getAsLong()) {
        rejected(s);
        throw tooLarge(s, path);
      }
    }
    try {
      return ledger.reserve(path, scopes, expected);
    } catch (QuotaExceededException e) {
      rejected(e.scope());
      throw e;
    }
  }

  public UsageLedger.Reservation reserveRestore(StorageClass sc, String path) {
    List<Scope> scopes = scopesOf(sc, path);
    return scopes.isEmpty() ? null : ledger.reserveRestore(path, scopes);
  }

  public void rejected(Scope scope) {
    rejections.computeIfAbsent(scope, s -> new LongAdder()).increment();
  }

  public void evicted(Scope scope) {
    evictions.computeIfAbsent(scope, s -> new LongAdder()).increment();
  }

  /** Flights evicted to keep some scope under its {@code ephemeral} limit, since start. */
  public long totalEvictions() {
    return evictions.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** Gives back what {@code r} holds; a no-op for null (no policy) or a reservation already used up. */
  public void release(UsageLedger.Reservation r) {
    if (r != null) {
      ledger.release(r);
    }
  }

  /** A version's tier copy was dropped: a durable flight still counts in {@code total}; any other is gone. */
  public void dropped(StorageClass sc, String path, long version) {
    if (policies.isEmpty()) {
      return;
    }
    if (sc.config().durability() == dev.hangar.config.Durability.NONE) {
      ledger.gone(path, version);
    } else {
      ledger.leftTier(path, version);
    }
  }

  /** The flight at {@code path} is gone, if the ledger still counts {@code version} of it (0: its durable copy). */
  public void gone(String path, long version) {
    if (!policies.isEmpty()) {
      ledger.gone(path, version);
    }
  }

  /** Counts a flight found in the durable store at start-up. */
  public void recover(StorageClass sc, String path, long size, Optional<Instant> expiresAt) {
    List<Scope> scopes = scopesOf(sc, path);
    if (!scopes.isEmpty()) {
      ledger.recover(path, scopes, size, expiresAt);
    }
  }

  /**
   * Whether a flight of class {@code sc} found under one of {@link #prefixesOf}({@code scope}) is
   * in the scope: its class must be one the scope's policy lists (a more specific class under the
   * same prefix is not). Cheaper than resolving the flight's scopes.
   */
  public boolean governs(Scope scope, StorageClass sc) {
    return policies.configs().get(scope.policy()).storageClasses().contains(sc.prefix());
  }

  /** Path prefixes under which the flights of {@code scope} live (a standard policy: its classes). */
  public List<String> prefixesOf(Scope scope) {
    LimitPolicyConfig policy = policies.configs().get(scope.policy());
    return policy instanceof LimitPolicyConfig.Standard ? policy.storageClasses() : List.of(scope.key() + "/");
  }

  /**
   * The error for a put that needs {@code bytes} more in {@code scope}'s tiers when nothing there
   * can be evicted: the flight alone is larger than the limit, or what is left is in use.
   */
  public static EphemeralLimitException ephemeralFull(Scope scope, String path, long reserved, long bytes, UsageLedger.Usage usage) {
    long limit = scope.limits().ephemeral().getAsLong();
    if (reserved + bytes > limit) {
      return tooLarge(scope, path);
    }
    return new EphemeralLimitException(
        "Cannot store flight \"%s\": %s allows ephemeral %s; flights being read or written there (or waiting for their durable"
            + " copy) hold %s, %s of it this put's, and this put needs %s more (retry when they finish, or raise the limit)",
        path, scope, Sizes.format(limit), Sizes.format(usage.ephemeral()), Sizes.format(reserved), Sizes.format(bytes));
  }

  private static EphemeralLimitException tooLarge(Scope scope, String path) {
    return new EphemeralLimitException("Cannot store flight \"%s\": it is larger than %s allows in this node's tiers (ephemeral %s)",
        path, scope, Sizes.format(scope.limits().ephemeral().getAsLong()));
  }

  /** Usage and limits of every scope that holds something or has turned a put away or evicted. */
  public List<StoreStats.ScopeStats> stats() {
    Map<Scope, UsageLedger.Usage> usage = ledger.snapshot();
    java.util.Set<Scope> scopes = new java.util.HashSet<>(usage.keySet());
    scopes.addAll(evictions.keySet());
    scopes.addAll(rejections.keySet());
    List<Scope> sorted = new ArrayList<>(scopes);
    sorted.sort(Comparator.comparingInt(Scope::policy).thenComparing(Scope::key));
    List<StoreStats.ScopeStats> out = new ArrayList<>();
    for (Scope s : sorted) {
      UsageLedger.Usage u = usage.getOrDefault(s, new UsageLedger.Usage(0, 0, 0));
      LimitPolicyConfig.Limits l = s.limits();
      out.add(new StoreStats.ScopeStats(
          s.policyName(), s.key(),
          u.ephemeral(), l.ephemeral().isPresent() ? l.ephemeral().getAsLong() : null,
          u.total(), l.total().isPresent() ? l.total().getAsLong() : null,
          u.flights(), l.flights().isPresent() ? l.flights().getAsLong() : null,
          sum(evictions.get(s)), sum(rejections.get(s))));
    }
    return out;
  }

  private static long sum(LongAdder a) {
    return a == null ? 0 : a.sum();
  }
}
