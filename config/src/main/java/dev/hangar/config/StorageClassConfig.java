package dev.hangar.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The settings that govern every flight whose path starts with {@code prefix}. */
public record StorageClassConfig(
    String prefix,
    Durability durability,
    Optional<String> durableStore,
    String durablePrefix,
    Optional<Duration> ttl,
    int replicas,
    List<TierConfig> tiers,
    int placementSegments) {

  public StorageClassConfig {
    Checks.check(prefix != null, "prefix must be set");
    Checks.check(!tiers.isEmpty(), "storage class \"%s\" needs at least one tier", prefix);
    Checks.check(replicas >= 1, "replicas must be at least 1");
    Checks.check(placementSegments >= 0, "placement.segments must not be negative");
    tiers = List.copyOf(tiers);
  }

  /** A class placed by its whole path (in a cluster; alone, placement means nothing). */
  public StorageClassConfig(String prefix, Durability durability, Optional<String> durableStore, String durablePrefix,
      Optional<Duration> ttl, int replicas, List<TierConfig> tiers) {
    this(prefix, durability, durableStore, durablePrefix, ttl, replicas, tiers, 0);
  }

  /**
   * The key a cluster places {@code path} by: its first {@code placementSegments} segments (all of
   * one tenant's or data source's flights then share owners), or the whole path if that is 0 or the
   * path is shorter.
   */
  public String placementKey(String path) {
    if (placementSegments == 0) {
      return path;
    }
    int at = -1;
    for (int i = 0; i < placementSegments; i++) {
      at = path.indexOf('/', at + 1);
      if (at < 0) {
        return path;
      }
    }
    return path.substring(0, at);
  }

  /** A class with no durable copy, no TTL and the given tiers. */
  public static StorageClassConfig ephemeral(String prefix, TierConfig... tiers) {
    return new StorageClassConfig(
        prefix, Durability.NONE, Optional.empty(), "", Optional.empty(), 1, List.of(tiers));
  }
}
