package dev.hangar.storage.catalog;

/**
 * Whether a flight's durable copy has landed, and what the catalog keeps about it once it is the
 * only copy. Shared by every {@link FlightVersion} that holds the same committed flight (a flight
 * moved between tiers keeps its state), so the background writer can mark it landed whichever
 * tier the flight is in by then.
 */
public final class DurableState {
  private final String idempotencyKey;
  private volatile boolean landed;
  private volatile long objectSize;

  private DurableState(boolean landed, long objectSize, String idempotencyKey) {
    this.landed = landed;
    this.objectSize = objectSize;
    this.idempotencyKey = idempotencyKey;
  }

  /** A flight whose durable object of {@code objectSize} bytes is complete (a strong put, or a restore). */
  public static DurableState landed(long objectSize, String idempotencyKey) {
    return new DurableState(true, objectSize, idempotencyKey);
  }

  /** A weak flight waiting for its durable copy: pinned until then. */
  public static DurableState pending(String idempotencyKey) {
    return new DurableState(false, 0, idempotencyKey);
  }

  public boolean isLanded() {
    return landed;
  }

  public void markLanded(long objectSize) {
    this.objectSize = objectSize;
    landed = true;
  }

  /** The durable object's size in bytes (0 until it has landed). */
  public long objectSize() {
    return objectSize;
  }

  /** The idempotency key of the put that wrote the flight, or null. */
  public String idempotencyKey() {
    return idempotencyKey;
  }
}
