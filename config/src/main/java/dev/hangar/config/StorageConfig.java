package dev.hangar.config;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** The storage types this node has, keyed by type; a type that is absent is not configured. */
public record StorageConfig(Map<StorageType, StorageTypeConfig> types) {
  public StorageConfig {
    EnumMap<StorageType, StorageTypeConfig> copy = new EnumMap<>(StorageType.class);
    copy.putAll(types);
    types = Collections.unmodifiableMap(copy);
  }

  public Optional<StorageTypeConfig> get(StorageType type) {
    return Optional.ofNullable(types.get(type));
  }
}
