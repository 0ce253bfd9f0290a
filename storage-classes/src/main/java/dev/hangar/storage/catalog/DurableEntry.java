package dev.hangar.storage.catalog;

import dev.hangar.storage.StorageClass;
import dev.hangar.tiers.ipc.FlightSchema;
import java.time.Instant;
import java.util.Optional;

/**
 * A flight whose only copy is its durable object: evicted from the tiers, or found in the store at
 * start-up. Immutable and small (the catalog holds one per durable-only flight, millions on a big
 * node): times are epoch milliseconds, the schema is shared with every flight of the same schema
 * ({@link SchemaTable}). An entry found by listing the store is <em>unresolved</em> until its
 * footer is read: it knows the object's size and time, not yet its schema, rows or batches.
 */
public final class DurableEntry implements CatalogEntry {
  private static final long NONE = Long.MIN_VALUE;

  private final String path;
  private final StorageClass storageClass;
  private final FlightSchema schema; // null until resolved
  private final long rows;
  private final long bodyBytes;
  private final int batches;
  private final long committedAt;
  private final long expiresAt;
  private final long objectSize;
  private final long objectModified;
  private final String idempotencyKey; // the put's key, or null

  private DurableEntry(String path, StorageClass storageClass, FlightSchema schema, long rows, long bodyBytes, int batches,
      long committedAt, long expiresAt, long objectSize, long objectModified, String idempotencyKey) {
    this.path = path;
    this.storageClass = storageClass;
    this.schema = schema;
    this.rows = rows;
    this.bodyBytes = bodyBytes;
    this.batches = batches;
    this.committedAt = committedAt;
    this.expiresAt = expiresAt;
    this.objectSize = objectSize;
    this.objectModified = objectModified;
    this.idempotencyKey = idempotencyKey;
  }

  /** A flight whose footer was read: everything is known. */
  public static DurableEntry resolved(String path, StorageClass sc, FlightSchema schema, long rows, long bodyBytes, int batches,
      Instant committedAt, Optional<Instant> expiresAt, long objectSize, Instant objectModified, String idempotencyKey) {
    return new DurableEntry(path, sc, schema, rows, bodyBytes, batches, committedAt.toEpochMilli(),
        expiresAt.map(Instant::toEpochMilli).orElse(NONE), objectSize, objectModified.toEpochMilli(), idempotencyKey);
  }

  /**
   * A flight known only from a listing of its store: its commit time is taken as the object's, and
   * it expires at that time plus its class's TTL, until its footer says otherwise.
   */
  public static DurableEntry listed(String path, StorageClass sc, long objectSize, Instant objectModified) {
    long modified = objectModified.toEpochMilli();
    long expires = sc.config().ttl().map(t -> modified + t.toMillis()).orElse(NONE);
    return new DurableEntry(path, sc, null, -1, -1, -1, modified, expires, objectSize, modified, null);
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public StorageClass storageClass() {
    return storageClass;
  }

  /** Whether the footer has been read (schema, rows and batches are known). */
  public boolean isResolved() {
    return schema != null;
  }

  /** The schema, or null if the entry is not resolved. */
  public FlightSchema schema() {
    return schema;
  }

  /** Rows, or -1 if not resolved. */
  public long rows() {
    return rows;
  }

  /** Arrow body bytes, or -1 if not resolved. */
  public long bodyBytes() {
    return bodyBytes;
  }

  /** Record batches, or -1 if not resolved. */
  public int batches() {
    return batches;
  }

  public Instant committedAt() {
    return Instant.ofEpochMilli(committedAt);
  }

  public Optional<Instant> expiresAt() {
    return expiresAt == NONE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(expiresAt));
  }

  public long objectSize() {
    return objectSize;
  }

  public Instant objectModified() {
    return Instant.ofEpochMilli(objectModified);
  }

  /** The idempotency key of the put that wrote the object, or null. */
  public String idempotencyKey() {
    return idempotencyKey;
  }

  @Override
  public boolean isExpired(Instant now) {
    return expiresAt != NONE && now.toEpochMilli() >= expiresAt;
  }

  @Override
  public String toString() {
    return "DurableEntry[" + path + (isResolved() ? "" : ", unresolved") + "]";
  }
}
