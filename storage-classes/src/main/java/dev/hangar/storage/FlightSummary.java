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

  /** A flight held in a tier. */
  public static FlightSummary of(dev.hangar.storage.catalog.FlightVersion v) {
    StorageClass sc = v.storageClass();
    dev.hangar.tiers.StoredFlight c = v.copy();
    return new FlightSummary(v.path(), sc.prefix(), sc.config().durability(), c.storageType(), c.schema(), c.rows(), c.batches(),
        c.bytes(), c.bodyBytes(), v.committedAt(), v.expiresAt(), v.lastAccess(), v.readers(), v.id(), sc.tierKeys(),
        v.durable() == null ? "none" : v.durable().isLanded() ? "stored" : "pending");
  }

  /**
   * A flight whose only copy is durable, as the catalog knows it. An entry whose footer has not
   * been read reports an empty schema and -1 rows and batches, and its object's size as body bytes.
   */
  public static FlightSummary of(dev.hangar.storage.catalog.DurableEntry e) {
    StorageClass sc = e.storageClass();
    return new FlightSummary(e.path(), sc.prefix(), sc.config().durability(), null, e.schema(), e.rows(), e.batches(), 0,
        e.isResolved() ? e.bodyBytes() : e.objectSize(), e.committedAt(), e.expiresAt(), e.committedAt(), 0, 0, sc.tierKeys(),
        "stored");
  }

  /** Whether the schema, rows and batches are known (false for a durable flight whose footer could not be read yet). */
  public boolean isComplete() {
    return schema != null;
  }

  /** Where the flight is now: a storage type, or {@code durable} if only its durable copy exists. */
  public String location() {
    return storageType == null ? "durable" : storageType.key();
  }
}
