package dev.hangar.storage;

import dev.hangar.config.Durability;
import dev.hangar.config.StorageType;
import java.time.Instant;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Schema;

/** What is known about one committed flight, as GetFlightInfo, ListFlights and describe report it. */
public record FlightSummary(
    String path,
    String storageClass,
    Durability durability,
    StorageType storageType,
    Schema schema,
    long rows,
    int batches,
    long bytes,
    long bodyBytes,
    Instant committedAt,
    Optional<Instant> expiresAt,
    Instant lastAccess,
    int readers,
    long version,
    java.util.List<String> classTiers) {}
