package dev.hangar.storage;

import dev.hangar.storage.catalog.FlightVersion;
import dev.hangar.tiers.ipc.MessageCursor;
import dev.hangar.tiers.StoredFlight;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A reader's hold on one version of a flight: while open, the copy is neither evicted nor freed,
 * even if the path is overwritten or deleted meanwhile. Close it exactly when the read ends.
 */
public final class FlightLease implements AutoCloseable {
  private final FlightVersion version;
  private final FlightSummary summary;
  private final AtomicBoolean closed = new AtomicBoolean();

  FlightLease(FlightVersion version, FlightSummary summary) {
    this.version = version;
    this.summary = summary;
  }

  public FlightSummary summary() {
    return summary;
  }

  public StoredFlight flight() {
    return version.copy();
  }

  public MessageCursor cursor() {
    return version.copy().cursor();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      version.releaseReader();
    }
  }
}
