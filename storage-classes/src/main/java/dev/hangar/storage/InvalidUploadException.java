package dev.hangar.storage;

/** An upload the client got wrong: a schema change mid-stream, a bad size header. */
public final class InvalidUploadException extends StorageException {
  private static final long serialVersionUID = 1L;

  public InvalidUploadException(String format, Object... args) {
    super(format, args);
  }
}
