package dev.hangar.storage;

import java.util.List;

/**
 * A snapshot of the counters per storage type, per storage class and per limit-policy scope; {@code
 * weakPending} counts weak flights whose durable copy has not landed yet.
 */
public record StoreStats(List<TypeStats> storageTypes, List<ClassStats> storageClasses, int weakPending, List<ScopeStats> limitScopes) {

  /** Collects the counters of every storage type and class. */
  static StoreStats collect(dev.hangar.storage.placement.Placement placement, dev.hangar.storage.catalog.Catalog catalog,
      java.util.Map<dev.hangar.config.StorageType, StorageTypeCounters> counters, int weakPending, List<ScopeStats> scopes) {
    List<TypeStats> types = new java.util.ArrayList<>();
    placement.tiers().forEach((type, tier) -> {
      StorageTypeCounters c = counters.get(type);
      types.add(new TypeStats(type.key(), tier.capacity().limit(), tier.capacity().used(), catalog.queue(type).size(), c.hits.sum(),
          c.evictions.sum(), c.spills.sum(), c.moves.sum(), c.promotions.sum(), c.expirations.sum()));
    });
    List<ClassStats> classes = new java.util.ArrayList<>();
    for (StorageClass sc : placement.classes()) {
      classes.add(new ClassStats(sc.prefix(), sc.config().durability().key(), sc.flights.get(), sc.bytes.get(), sc.hits.sum(),
          sc.misses.sum(), sc.puts.sum(), sc.rejectedPuts.sum(), sc.deletions.sum(), sc.evictions.sum(), sc.spills.sum(),
          sc.moves.sum(), sc.promotions.sum(), sc.expirations.sum(), sc.restores.sum(), sc.durableReads.sum(),
          sc.durableWrites.sum(), sc.durableFailures.sum(), sc.durableExpirations.sum()));
    }
    return new StoreStats(types, classes, weakPending, scopes);
  }

  /**
   * One scope of a limit policy that holds something (or turned puts away, or evicted): usage in
   * Arrow body bytes, and the limit of each kind (null where the scope sets none). {@code
   * evictions} counts flights evicted to keep the scope under its {@code ephemeral} limit, {@code
   * rejectedPuts} puts refused by one of its quotas.
   */
  public record ScopeStats(String policy, String scope, long ephemeral, Long ephemeralLimit, long total, Long totalLimit,
      long flights, Long flightsLimit, long evictions, long rejectedPuts) {}

  /**
   * One storage type: capacity, bytes reserved (flights, uploads in progress, replaced copies still
   * read). {@code spills}, {@code moves}, {@code promotions} and {@code expirations}
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
