package dev.hangar.storage;

import java.util.List;

/** A snapshot of the counters per storage type and per storage class. */
public record StoreStats(List<TypeStats> storageTypes, List<ClassStats> storageClasses) {

  /** One storage type: capacity, bytes reserved (flights, uploads in progress, replaced copies still read). */
  /**
   * One storage type. {@code spills}, {@code moves}, {@code promotions} and {@code expirations}
   * count flights that left this type that way.
   */
  public record TypeStats(String storage, long capacity, long bytes, long flights, long hits, long evictions,
      long spills, long moves, long promotions, long expirations) {}

  /** One storage class: its committed flights and what readers and writers did with it. */
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
      long expirations) {}
}
