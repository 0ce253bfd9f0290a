package dev.hangar.limits;

import dev.hangar.config.Sizes;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Exact usage of every scope: bytes in this node's tiers ({@code ephemeral}), bytes including the
 * durable store ({@code total}) and flights. A charge covers all of a put's scopes at once and is
 * all-or-nothing: if any scope's {@code total} or {@code flights} quota would be exceeded, nothing
 * is charged and {@link QuotaExceededException} names that scope. One monitor guards the ledger,
 * so racing charges for the last bytes of a quota never take more than the quota.
 *
 * <p>{@code ephemeral} limits are not checked here: they behave like a cache, and the store makes
 * room (evicting inside the scope, see {@link #ephemeralExcess}) before it charges.
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

  private final Map<Scope, Usage> usage = new HashMap<>();

  /**
   * Adds the deltas to every scope in {@code scopes} (negative deltas release). Throws, charging
   * nothing, if a positive {@code total} or {@code flights} delta would take a scope past its quota.
   *
   * @param what the flight being charged, for the message
   */
  public synchronized void charge(List<Scope> scopes, long ephemeral, long total, long flights, String what) {
    for (Scope s : scopes) {
      Usage u = usage.getOrDefault(s, Usage.ZERO);
      if (total > 0 && s.limits().total().isPresent() && u.total() + total > s.limits().total().getAsLong()) {
        throw new QuotaExceededException(s, String.format(java.util.Locale.ROOT,
            "Cannot store flight \"%s\": %s allows total %s; %s is in use and this put needs %s more (delete flights under %s, or raise the limit)",
            what, s, Sizes.format(s.limits().total().getAsLong()), Sizes.format(u.total()), Sizes.format(total), s.key()));
      }
      if (flights > 0 && s.limits().flights().isPresent() && u.flights() + flights > s.limits().flights().getAsLong()) {
        throw new QuotaExceededException(s, String.format(java.util.Locale.ROOT,
            "Cannot store flight \"%s\": %s allows %d flights and holds %d (delete flights under %s, or raise the limit)",
            what, s, s.limits().flights().getAsLong(), u.flights(), s.key()));
      }
    }
    for (Scope s : scopes) {
      Usage u = usage.getOrDefault(s, Usage.ZERO).plus(ephemeral, total, flights);
      if (u.ephemeral() < 0 || u.total() < 0 || u.flights() < 0) {
        throw new IllegalStateException("Usage of " + s + " would go negative: " + u);
      }
      if (u.isZero()) {
        usage.remove(s);
      } else {
        usage.put(s, u);
      }
    }
  }

  /**
   * For each scope with an {@code ephemeral} limit, how many bytes must leave it before {@code
   * bytes} more fit; only scopes that must shrink are listed.
   */
  public synchronized Map<Scope, Long> ephemeralExcess(List<Scope> scopes, long bytes) {
    Map<Scope, Long> out = new LinkedHashMap<>();
    for (Scope s : scopes) {
      if (s.limits().ephemeral().isPresent()) {
        long over = usage.getOrDefault(s, Usage.ZERO).ephemeral() + bytes - s.limits().ephemeral().getAsLong();
        if (over > 0) {
          out.put(s, over);
        }
      }
    }
    return out;
  }

  /** The usage of {@code scope} now. */
  public synchronized Usage usage(Scope scope) {
    return usage.getOrDefault(scope, Usage.ZERO);
  }

  /** Every scope that holds something, with its usage. */
  public synchronized Map<Scope, Usage> snapshot() {
    return Map.copyOf(usage);
  }
}
