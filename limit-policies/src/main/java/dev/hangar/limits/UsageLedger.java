package dev.hangar.limits;

import dev.hangar.config.Sizes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Exact usage of every scope, kept per flight: what each flight holds ({@link Held}: bytes in this
 * node's tiers, bytes in all, one flight) and what each upload or restore in progress has reserved
 * ({@link Reservation}). A scope's {@link Usage} is always the sum of what its flights hold plus
 * what its reservations hold; one monitor guards the ledger, so racing puts for the last bytes of a
 * quota never take more than the quota.
 *
 * <p>Sizes are Arrow body bytes (the sum of a flight's buffers as the IPC format lays them out), so
 * a flight weighs the same in every tier and moving it between tiers changes nothing here. {@code
 * total} and {@code flights} are quotas: a reservation or growth that would exceed one throws
 * {@link QuotaExceededException} and charges nothing. {@code ephemeral} limits behave like a cache:
 * {@link #grow} returns the scope that is full instead of failing, and the caller evicts in that
 * scope and asks again.
 *
 * <p>Each record names the catalog version whose tier copy it counts ({@code tierVersion}, 0 for a
 * flight only in the durable store), and the store reports departures with that version: a late
 * report about a version that was already replaced changes nothing.
 */
public final class UsageLedger {
  /** What one scope holds. */
  public record Usage(long ephemeral, long total, long flights) {
    static final Usage ZERO = new Usage(0, 0, 0);

    Usage plus(long e, long t, long f) {
      return new Usage(ephemeral + e, total + t, flights + f);
    }

    boolean isZero() {
      return ephemeral == 0 && total == 0 && flights == 0;
    }
  }

  /**
   * What one flight holds: {@code ephemeral} bytes in this node's tiers (0 when it is only in the
   * durable store), {@code total} bytes, and one flight.
   *
   * @param tierVersion the catalog version whose tier copy is counted, 0 if none
   * @param expiresAt when a flight that is only in the durable store stops counting
   */
  public record Held(List<Scope> scopes, long ephemeral, long total, long tierVersion, Optional<Instant> expiresAt) {}

  /** Room held by an upload (ephemeral, total and maybe a flight) or a restore (ephemeral only) in progress. */
  public static final class Reservation {
    private final String path;
    private final List<Scope> scopes;
    private final boolean put;
    private long announced;
    private long ephemeral; // bytes arrived (a put's are also what it has written so far)
    private long total; // total charged: what the put needs beyond the flight it replaces
    private long flights;
    private boolean settled;
    private boolean open = true;

    private Reservation(String path, List<Scope> scopes, boolean put) {
      this.path = path;
      this.scopes = scopes;
      this.put = put;
    }

    public String path() {
      return path;
    }

    public List<Scope> scopes() {
      return scopes;
    }
  }

  private final Map<Scope, Usage> usage = new HashMap<>();
  private final Map<String, Held> held = new HashMap<>();
  /** Open put reservations per path; one of them inherits the flight slot when the path's flight goes. */
  private final Map<String, List<Reservation>> puts = new HashMap<>();
  private int openReservations;

  // ---- uploads --------------------------------------------------------------------------

  /**
   * Reserves room for a put of {@code announced} bytes (0 if unknown) to {@code path}. An overwrite
   * is charged only for what it needs beyond the flight it replaces (whose bytes keep counting until
   * the new one commits) and needs no second flight. Throws, charging nothing, if a quota would be
   * exceeded.
   */
  public synchronized Reservation reserve(String path, List<Scope> scopes, long announced) {
    Reservation r = new Reservation(path, List.copyOf(scopes), true);
    long flights = held.containsKey(path) ? 0 : 1;
    long total = Math.max(0, announced - credit(path));
    apply(r.scopes, 0, total, flights, path, 0);
    r.announced = announced;
    r.total = total;
    r.flights = flights;
    puts.computeIfAbsent(path, p -> new ArrayList<>()).add(r);
    openReservations++;
    return r;
  }

  /** Opens an empty reservation for restoring {@code path} into a tier (it only grows {@code ephemeral}). */
  public synchronized Reservation reserveRestore(String path, List<Scope> scopes) {
    openReservations++;
    return new Reservation(path, List.copyOf(scopes), false);
  }

  /**
   * Grows {@code r} by {@code bytes} that arrived in a tier: {@code ephemeral} by {@code bytes}
   * (old and new copies of an overwritten flight both occupy tiers) and, for a put, {@code total}
   * as far as what arrived exceeds what was announced and the flight it replaces. Throws {@link
   * QuotaExceededException} if that breaks a quota; returns the first scope whose {@code ephemeral}
   * limit has no room for {@code bytes}, charging nothing, or null once charged.
   */
  public synchronized Scope grow(Reservation r, long bytes) {
    requireOpen(r);
    long totalDelta = r.put ? Math.max(0, Math.max(r.announced, r.ephemeral + bytes) - credit(r.path) - r.total) : 0;
    check(r.scopes, totalDelta, 0, r.path, r.total);
    for (Scope s : r.scopes) {
      if (s.limits().ephemeral().isPresent()
          && usage.getOrDefault(s, Usage.ZERO).ephemeral() + bytes > s.limits().ephemeral().getAsLong()) {
        return s;
      }
    }
    force(r.scopes, bytes, totalDelta, 0);
    r.ephemeral += bytes;
    r.total += totalDelta;
    return null;
  }

  /** Bytes {@code r} holds in tiers so far. */
  public synchronized long reservedEphemeral(Reservation r) {
    return r.ephemeral;
  }

  /**
   * Makes a put's reservation exactly what committing a flight of {@code size} bytes needs, before
   * anything outside the ledger commits (a durable object): its size beyond the flight it replaces,
   * and a flight slot if the path holds none now. Growing is checked, so after this {@link #commit}
   * cannot fail; if the replaced flight goes away before the commit, its bytes and slot pass to this
   * reservation instead of being freed.
   */
  public synchronized void settle(Reservation r, long size) {
    requireOpen(r);
    long total = Math.max(0, size - credit(r.path));
    long flights = held.containsKey(r.path) ? 0 : 1;
    check(r.scopes, total - r.total, flights - r.flights, r.path, r.total);
    force(r.scopes, 0, total - r.total, flights - r.flights);
    r.total = total;
    r.flights = flights;
    r.settled = true;
  }

  /**
   * The put committed: {@code path} now holds {@code size} bytes in its tiers and in all (its
   * previous flight, if any, no longer counts), and the reservation is used up.
   */
  public synchronized void commit(Reservation r, long size, long tierVersion, Optional<Instant> expiresAt) {
    requireOpen(r);
    close(r);
    Held old = held.get(r.path);
    Held now = new Held(r.scopes, size, size, tierVersion, expiresAt);
    force(r.scopes, now.ephemeral - r.ephemeral - (old == null ? 0 : old.ephemeral),
        now.total - r.total - (old == null ? 0 : old.total), 1 - r.flights - (old == null ? 0 : 1));
    held.put(r.path, now);
  }

  /**
   * A restore committed: the durable flight at {@code path} is in a tier again with {@code size}
   * bytes (its exact size is known now, so {@code total} is corrected to it too).
   */
  public synchronized void restored(Reservation r, long size, long tierVersion, Optional<Instant> expiresAt) {
    requireOpen(r);
    close(r);
    Held old = held.get(r.path);
    Held now = new Held(r.scopes, size, size, tierVersion, expiresAt);
    force(r.scopes, size - r.ephemeral - (old == null ? 0 : old.ephemeral), size - (old == null ? 0 : old.total),
        old == null ? 1 : 0);
    held.put(r.path, now);
  }

  /** Gives back everything {@code r} holds; a no-op once it was committed or released. */
  public synchronized void release(Reservation r) {
    if (!r.open) {
      return;
    }
    close(r);
    force(r.scopes, -r.ephemeral, -r.total, -r.flights);
  }

  // ---- flights --------------------------------------------------------------------------

  /** The tier copy of version {@code tierVersion} of {@code path} was dropped; its durable copy still counts. */
  public synchronized void leftTier(String path, long tierVersion) {
    Held h = held.get(path);
    if (h != null && h.tierVersion == tierVersion && tierVersion != 0) {
      force(h.scopes, -h.ephemeral, 0, 0);
      held.put(path, new Held(h.scopes, 0, h.total, 0, h.expiresAt));
    }
  }

  /**
   * The flight at {@code path} is gone (deleted, expired, or dropped with no durable copy), if the
   * ledger still counts version {@code tierVersion} of it (0: the flight only in the durable store).
   */
  public synchronized void gone(String path, long tierVersion) {
    Held h = held.get(path);
    if (h != null && h.tierVersion == tierVersion) {
      remove(path, h);
    }
  }

  /**
   * Counts a flight found in the durable store at start-up ({@code size} bytes there, none in
   * tiers), unless the path is already counted. Never refused: the flight exists.
   */
  public synchronized void recover(String path, List<Scope> scopes, long size, Optional<Instant> expiresAt) {
    if (!held.containsKey(path)) {
      force(scopes, 0, size, 1);
      held.put(path, new Held(List.copyOf(scopes), 0, size, 0, expiresAt));
    }
  }

  /** Stops counting flights that are only in the durable store and expired by {@code now}; returns their paths. */
  public synchronized List<String> expire(Instant now) {
    List<String> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, Held>> it = held.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Held> e = it.next();
      Held h = e.getValue();
      if (h.tierVersion == 0 && h.expiresAt.isPresent() && !now.isBefore(h.expiresAt.get())) {
        out.add(e.getKey());
      }
    }
    out.forEach(p -> remove(p, held.get(p)));
    return out;
  }

  // ---- reading --------------------------------------------------------------------------

  /** The usage of {@code scope} now. */
  public synchronized Usage usage(Scope scope) {
    return usage.getOrDefault(scope, Usage.ZERO);
  }

  /** Every scope that holds something, with its usage. */
  public synchronized Map<Scope, Usage> snapshot() {
    return Map.copyOf(usage);
  }

  /** What every counted flight holds (for invariant checks). */
  public synchronized Map<String, Held> flights() {
    return Map.copyOf(held);
  }

  /** How many reservations are open (0 when no put or restore is running). */
  public synchronized int openReservations() {
    return openReservations;
  }

  // ---- internals ------------------------------------------------------------------------

  /**
   * Stops counting {@code path}'s flight. A settled put to the path (committing now) takes over its
   * bytes and slot, which its settlement counted on; otherwise they are freed.
   */
  private void remove(String path, Held h) {
    held.remove(path);
    Reservation heir = null;
    for (Reservation r : puts.getOrDefault(path, List.of())) {
      if (r.settled) {
        heir = r;
      }
    }
    if (heir == null) {
      force(h.scopes, -h.ephemeral, -h.total, -1);
      return;
    }
    force(h.scopes, -h.ephemeral, 0, heir.flights == 0 ? 0 : -1);
    heir.total += h.total;
    heir.flights = 1;
  }

  /** What a put to {@code path} may count on: the bytes of the flight it replaces. */
  private long credit(String path) {
    Held h = held.get(path);
    return h == null ? 0 : h.total;
  }

  private void close(Reservation r) {
    r.open = false;
    openReservations--;
    List<Reservation> open = puts.get(r.path);
    if (open != null && open.remove(r) && open.isEmpty()) {
      puts.remove(r.path);
    }
  }

  private static void requireOpen(Reservation r) {
    if (!r.open) {
      throw new IllegalStateException("Reservation for " + r.path + " is closed");
    }
  }

  /** Adds the deltas to every scope after checking positive {@code total}/{@code flights} deltas against the quotas. */
  private void apply(List<Scope> scopes, long ephemeral, long total, long flights, String what, long own) {
    check(scopes, total, flights, what, own);
    force(scopes, ephemeral, total, flights);
  }

  /**
   * @param what the path being put
   * @param own what the put being checked holds already (it is part of the usage)
   */
  private void check(List<Scope> scopes, long total, long flights, String what, long own) {
    for (Scope s : scopes) {
      Usage u = usage.getOrDefault(s, Usage.ZERO);
      if (total > 0 && s.limits().total().isPresent() && u.total() + total > s.limits().total().getAsLong()) {
        String ownPart = own > 0 ? " (" + Sizes.format(own) + " of it this put's so far)" : "";
        long replaced = credit(what);
        String replacedPart = replaced > 0 ? " (beyond the " + Sizes.format(replaced) + " of the flight it replaces)" : "";
        throw new QuotaExceededException(s, String.format(Locale.ROOT,
            "Cannot store flight \"%s\": %s allows total %s; %s is in use%s and this put needs %s more%s (delete flights under %s,"
                + " or raise the limit)",
            what, s, Sizes.format(s.limits().total().getAsLong()), Sizes.format(u.total()), ownPart, Sizes.format(total), replacedPart,
            s.key()));
      }
      if (flights > 0 && s.limits().flights().isPresent() && u.flights() + flights > s.limits().flights().getAsLong()) {
        throw new QuotaExceededException(s, String.format(Locale.ROOT,
            "Cannot store flight \"%s\": %s allows %d flights and holds %d (delete flights under %s, or raise the limit)",
            what, s, s.limits().flights().getAsLong(), u.flights(), s.key()));
      }
    }
  }

  private void force(List<Scope> scopes, long ephemeral, long total, long flights) {
    if (ephemeral == 0 && total == 0 && flights == 0) {
      return;
    }
    for (Scope s : scopes) {
      Usage u = usage.getOrDefault(s, Usage.ZERO).plus(ephemeral, total, flights);
      if (u.ephemeral() < 0 || u.total() < 0 || u.flights() < 0) {
        throw new IllegalStateException("Usage of " + s + " would go negative: " + u);
      }
    }
    for (Scope s : scopes) {
      Usage u = usage.getOrDefault(s, Usage.ZERO).plus(ephemeral, total, flights);
      if (u.isZero()) {
        usage.remove(s);
      } else {
        usage.put(s, u);
      }
    }
  }
}
