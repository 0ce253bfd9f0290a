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
    List<TierConfig> tiers) {

  public StorageClassConfig {
    Checks.check(prefix != null, "prefix must be set");
    Checks.check(!tiers.isEmpty(), "storage class \"%s\" needs at least one tier", prefix);
    Checks.check(replicas >= 1, "replicas must be at least 1");
    tiers = List.copyOf(tiers);
  }

  /** A class with no durable copy, no TTL and the given tiers. */
  public static StorageClassConfig ephemeral(String prefix, TierConfig... tiers) {
    return new StorageClassConfig(
        prefix, Durability.NONE, Optional.empty(), "", Optional.empty(), 1, List.of(tiers));
  }
}
