package dev.hangar.tiers;

import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/** An upload into one tier: invisible until {@link #commit()}, and {@link #abort()} leaves nothing. */
public interface FlightWriter extends AutoCloseable {
  /**
   * Takes ownership of {@code batch}, after reserving its bytes through the tier's reserver. If the
   * reservation fails the batch is closed and the exception propagates; the writer stays usable
   * for {@link #abort()}.
   */
  void append(ArrowRecordBatch batch);

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
