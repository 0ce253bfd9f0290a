package dev.hangar.config;

import java.nio.file.Path;
import java.util.Optional;

/** One configured storage type of this node: its capacity, and its directory for the disk types. */
public record StorageTypeConfig(StorageType type, long capacity, Optional<Path> path) {
  public StorageTypeConfig {
    Checks.check(type != null, "storage type must be set");
    Checks.check(capacity > 0, "storage.%s.capacity must be positive", type);
    Checks.check(
        (type == StorageType.MEMORY) == path.isEmpty(),
        "storage.%s.path is %s",
        type,
        type == StorageType.MEMORY ? "not allowed" : "required");
  }
}
