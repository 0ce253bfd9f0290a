package dev.hangar.storage.catalog;

import dev.hangar.storage.StorageClass;
import java.time.Instant;

/**
 * What the catalog maps a path to: a {@link FlightVersion} held in a tier (with or without a
 * durable copy), or a {@link DurableEntry} for a flight whose only copy is in its durable store.
 */
public sealed interface CatalogEntry permits FlightVersion, DurableEntry {
  String path();

  StorageClass storageClass();

  boolean isExpired(Instant now);
}
