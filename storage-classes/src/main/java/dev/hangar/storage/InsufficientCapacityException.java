package dev.hangar.storage;

/** A storage type cannot make room: what is left is being read or written. */
public final class InsufficientCapacityException extends StorageException {
  private static final long serialVersionUID = 1L;

  public InsufficientCapacityException(String format, Object... args) {
    super(format, args);
  }
}
