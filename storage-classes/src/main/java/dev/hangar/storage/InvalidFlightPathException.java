package dev.hangar.storage;

/** A flight path that breaks a rule of DESIGN §3. */
public final class InvalidFlightPathException extends StorageException {
  private static final long serialVersionUID = 1L;

  public InvalidFlightPathException(String format, Object... args) {
    super(format, args);
  }
}
