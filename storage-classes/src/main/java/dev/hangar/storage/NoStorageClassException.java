package dev.hangar.storage;

/** A path that no storage class prefix matches. */
public final class NoStorageClassException extends StorageException {
  private static final long serialVersionUID = 1L;

  public NoStorageClassException(String format, Object... args) {
    super(format, args);
  }
}
