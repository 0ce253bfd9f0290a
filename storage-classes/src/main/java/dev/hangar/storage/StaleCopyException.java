package dev.hangar.storage;

/**
 * A cluster replica's copy that arrived after a newer version of its flight, or after a delete of it:
 * the node keeps what it has.
 */
public final class StaleCopyException extends StorageException {
  private static final long serialVersionUID = 1L;

  public StaleCopyException(String format, Object... args) {
    super(format, args);
  }
}
