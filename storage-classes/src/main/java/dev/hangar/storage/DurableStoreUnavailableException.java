package dev.hangar.storage;

/** A durable store could not be written or read; the message names the store and what failed. */
public final class DurableStoreUnavailableException extends StorageException {
  private static final long serialVersionUID = 1L;

  public DurableStoreUnavailableException(String format, Object... args) {
    super(format, args);
  }
}
