package dev.hangar.storage;

/** A flight larger than every tier of its class admits. */
public final class FlightTooLargeException extends StorageException {
  private static final long serialVersionUID = 1L;

  public FlightTooLargeException(String format, Object... args) {
    super(format, args);
  }
}
