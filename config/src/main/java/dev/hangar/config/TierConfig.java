package dev.hangar.config;

import java.time.Duration;
import java.util.Optional;

/**
 * One entry of a storage class's ordered {@code tiers}: which storage type, and how flights behave
 * there.
 */
public record TierConfig(
    StorageType storage,
    long maxFlightSize,
    UploadSpill uploadSpill,
    int priority,
    boolean evictionSpill,
    Optional<Duration> moveAfter,
    Optional<PromoteAfter> promoteAfter) {

  /** No size limit beyond the storage type's capacity. */
  public static final long UNLIMITED = Long.MAX_VALUE;

  public TierConfig {
    Checks.check(storage != null, "tier storage must be set");
    Checks.check(maxFlightSize > 0, "maxFlightSize must be positive");
  }

  /** The same tier with another {@code maxFlightSize}. */
  public TierConfig withMax(long max) {
    return new TierConfig(storage, max, uploadSpill, priority, evictionSpill, moveAfter, promoteAfter);
  }

  /** A tier on {@code storage} with every setting at its default. */
  public static TierConfig of(StorageType storage) {
    return new TierConfig(
        storage, UNLIMITED, UploadSpill.SPILL, 0, false, Optional.empty(), Optional.empty());
  }

  /** Move a flight up a tier once it was read {@code accesses} times within {@code within}. */
  public record PromoteAfter(int accesses, Duration within) {
    public PromoteAfter {
      Checks.check(accesses > 0, "promoteAfter.accesses must be positive");
      Checks.check(!within.isNegative() && !within.isZero(), "promoteAfter.within must be positive");
    }
  }
}
