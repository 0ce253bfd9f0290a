package dev.hangar.tiers;

import dev.hangar.tiers.ipc.Message;

/** An upload into one tier: invisible until {@link #commit()}, and {@link #abort()} leaves nothing. */
public interface FlightWriter extends AutoCloseable {
  /**
   * Stores {@code message} (a checked dictionary or record batch) after reserving its bytes through
   * the tier's reserver, and closes it. If the reservation or the write fails the message is closed
   * and the exception propagates; the writer stays usable for {@link #abort()}.
   */
  void append(Message message);

  long rows();

  /** Bytes reserved by this upload so far. */
  long bytes();

  /** Turns what was written into a stored flight. The writer is finished afterwards. */
  StoredFlight commit();

  /** Frees what was written and releases its reservation. Idempotent; a no-op after commit. */
  void abort();

  /** Same as {@link #abort()}: closing an uncommitted writer discards it. */
  @Override
  default void close() {
    abort();
  }
}
