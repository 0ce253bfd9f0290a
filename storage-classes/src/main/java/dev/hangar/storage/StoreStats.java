package dev.hangar.storage;

import java.util.List;

/**
 * A snapshot of the counters per storage type, per storage class and per limit-policy scope; {@code
 * weakPending} counts weak flights whose durable copy has not landed yet.
 */
public record StoreStats(List<TypeStats> storageTypes, List<ClassStats> storageClasses, int weakPending, List<ScopeStats> limitScopes) {

  /**
   * One scope of a limit policy that holds something (or turned puts away, or evicted): usage in
   * Arrow body bytes, and the limit of each kind (null where the scope sets none). {@code
   * evictions} counts flights evicted to keep the scope under its {@code ephemeral} limit, {@code
   * rejectedPuts} puts refused by one of its quotas.
   */
  public record ScopeStats(String policy, String scope, long ephemeral, Long ephemeralLimit, long total, Long totalLimit,
      long flights, Long flightsLimit, long evictions, long rejectedPuts) {}

  /** One storage type: capacity, bytes reserved (flights, uploads in progress, replaced copies still read). */
  /**
   * One storage type. {@code spills}, {@code moves}, {@code promotions} and {@code expirations}
   * count flights that left this type that way.
   */
  public record TypeStats(String storage, long capacity, long bytes, long flights, long hits, long evictions,
      long spills, long moves, long promotions, long expirations) {}

  /**
   * One storage class: its committed flights and what readers and writers did with it. {@code
   * restores} counts durable flights read back into a tier, {@code durableReads} those streamed
   * straight from the store (no tier had room); {@code durableWrites} / {@code durableFailures}
   * count durable copies written and failed attempts; {@code durableExpirations} durable copies
   * deleted by TTL.
   */
  public record ClassStats(
      String prefix,
      String durability,
      long flights,
      long bytes,
      long hits,
      long misses,
      long puts,
      long rejectedPuts,
      long deletions,
      long evictions,
      long spills,
      long moves,
      long promotions,
      long expirations,
      long restores,
      long durableReads,
      long durableWrites,
      long durableFailures,
      long durableExpirations) {}
}
