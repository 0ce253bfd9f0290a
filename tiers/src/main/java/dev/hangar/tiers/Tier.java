package dev.hangar.tiers;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;

/**
 * One storage type of this node (memory, disk_mapped, disk), shared by every storage class.
 *
 * <p>A tier stores flights but does not choose them: placement, eviction and the catalog live in
 * storage-classes. It only promises that every byte it holds was reserved in its {@link
 * #capacity()} first, and is released there when the bytes are freed.
 */
public interface Tier extends AutoCloseable {
  StorageType type();

  /** Bytes reserved and held in this tier; never more than its capacity. */
  Capacity capacity();

  /**
   * Starts writing a flight. The writer calls {@code reserver} before it takes each message's bytes,
   * so the caller can make room (or refuse) before any bytes land here.
   */
  FlightWriter newWriter(String path, FlightSchema schema, Reserver reserver);

  /** About the bytes {@code message} would take in this tier (to decide placement before writing it). */
  long weigh(Message message);

  /** Frees everything and checks that nothing leaked. */
  @Override
  void close();

  /** Asked for room before bytes are accepted; throws to refuse. */
  @FunctionalInterface
  interface Reserver {
    /** Reserves {@code bytes} in {@code capacity}, making room if it can, or throws. */
    void reserve(Capacity capacity, long bytes);
  }
}
