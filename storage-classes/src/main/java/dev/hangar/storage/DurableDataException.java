package dev.hangar.storage;

/** A durable copy exists but cannot be used: it is corrupt or not a Hangar flight file. */
public final class DurableDataException extends StorageException {
  private static final long serialVersionUID = 1L;

  public DurableDataException(String format, Object... args) {
    super(format, args);
  }
}
