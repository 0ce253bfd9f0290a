package dev.hangar.storage;

import dev.hangar.config.Durability;
import dev.hangar.config.StorageType;
import java.time.Instant;
import java.util.Optional;
import dev.hangar.tiers.ipc.FlightSchema;

/**
 * What is known about one committed flight, as GetFlightInfo, ListFlights and describe report it.
 * {@code storageType} is null for a durable flight that is in no tier; {@code durableCopy} is
 * {@code none}, {@code pending} (a weak flight whose copy has not landed) or {@code stored}.
 */
public record FlightSummary(
    String path,
    String storageClass,
    Durability durability,
    StorageType storageType,
    FlightSchema schema,
    long rows,
    int batches,
    long bytes,
    long bodyBytes,
    Instant committedAt,
    Optional<Instant> expiresAt,
    Instant lastAccess,
    int readers,
    long version,
    java.util.List<String> classTiers,
    String durableCopy) {

  /** Where the flight is now: a storage type, or {@code durable} if only its durable copy exists. */
  public String location() {
    return storageType == null ? "durable" : storageType.key();
  }
}
