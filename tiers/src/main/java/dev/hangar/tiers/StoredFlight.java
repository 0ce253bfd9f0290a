package dev.hangar.tiers;

import dev.hangar.config.StorageType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One complete, immutable copy of a flight in one tier. Its storage is freed once by {@link
 * #free()}; the catalog calls that when no reader holds the copy any more.
 */
public interface StoredFlight {
  StorageType storageType();

  Schema schema();

  long rows();

  int batches();

  /** Bytes this copy holds in its tier, as the tier accounts them. */
  long bytes();

  /** The Arrow IPC body length of the data: what the flight weighs on the wire. */
  long bodyBytes();

  /** A cursor over the batches, for one reader. Valid until this copy is freed. */
  BatchCursor cursor();

  /** Appends every batch of this copy to {@code writer} (another tier's), leaving this copy intact. */
  void copyTo(FlightWriter writer);

  /** Frees the storage and releases its bytes from the tier's capacity. Idempotent. */
  void free();
}
