package dev.hangar.tiers;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;

/**
 * One complete, immutable copy of a flight in one tier: its schema and its messages as the client
 * sent them. Its storage is freed once by {@link #free()}; the catalog calls that when no reader holds
 * the copy any more.
 */
public interface StoredFlight {
  StorageType storageType();

  FlightSchema schema();

  long rows();

  /** Record batches in the flight. */
  int batches();

  /** Bytes this copy holds in its tier, as the tier accounts them. */
  long bytes();

  /** The Arrow IPC body bytes of the data (compressed bodies count compressed): what it weighs on the wire. */
  long bodyBytes();

  /** A cursor over the messages after the schema, for one reader. Valid until this copy is freed. */
  MessageCursor cursor();

  /** Appends every message of this copy to {@code writer} (another tier's), leaving this copy intact. */
  default void copyTo(FlightWriter writer) {
    try (MessageCursor cursor = cursor()) {
      for (Message m = cursor.next(); m != null; m = cursor.next()) {
        writer.append(m);
      }
    }
  }

  /** Frees the storage and releases its bytes from the tier's capacity. Idempotent. */
  void free();
}
