package dev.hangar.storage.catalog;

/**
 * Whether a flight's durable copy has landed. Shared by every {@link FlightVersion} that holds the
 * same committed flight (a flight moved between tiers keeps its state), so the background writer
 * can mark it landed whichever tier the flight is in by then.
 */
public final class DurableState {
  private volatile boolean landed;

  private DurableState(boolean landed) {
    this.landed = landed;
  }

  /** A flight whose durable copy is complete (a strong put, or a flight restored from the store). */
  public static DurableState landed() {
    return new DurableState(true);
  }

  /** A weak flight waiting for its durable copy: pinned until then. */
  public static DurableState pending() {
    return new DurableState(false);
  }

  public boolean isLanded() {
    return landed;
  }

  public void markLanded() {
    landed = true;
  }
}
