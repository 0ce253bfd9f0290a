package dev.hangar.storage;

/** No visible flight at a path (never stored, deleted, evicted or expired). */
public final class FlightNotFoundException extends StorageException {
  private static final long serialVersionUID = 1L;

  public FlightNotFoundException(String format, Object... args) {
    super(format, args);
  }
}
