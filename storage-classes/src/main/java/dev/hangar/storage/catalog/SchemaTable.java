package dev.hangar.storage.catalog;

import dev.hangar.tiers.ipc.FlightSchema;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One shared {@link FlightSchema} per distinct schema message: the flights of a data source share
 * a schema, so a catalog of millions of durable-only flights holds a handful of schemas, not one
 * each. Keyed by the schema message's bytes (the schema's fingerprint); never shrinks, which is
 * bounded by the number of distinct schemas a node has seen.
 */
public final class SchemaTable {
  private final ConcurrentHashMap<ByteBuffer, FlightSchema> schemas = new ConcurrentHashMap<>();

  /** The shared instance equal to {@code schema}. */
  public FlightSchema intern(FlightSchema schema) {
    if (schema == null) {
      return null;
    }
    byte[] meta = schema.appMetadata();
    ByteBuffer key = ByteBuffer.wrap(meta == null || meta.length == 0 ? schema.message() : concat(schema.message(), meta));
    FlightSchema existing = schemas.putIfAbsent(key, schema);
    return existing != null ? existing : schema;
  }

  public int size() {
    return schemas.size();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    return ByteBuffer.allocate(4 + a.length + b.length).putInt(a.length).put(a).put(b).array(); // the length keeps pairs apart
  }
}
