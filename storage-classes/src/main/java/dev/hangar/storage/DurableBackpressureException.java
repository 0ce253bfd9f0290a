package dev.hangar.storage;

/** Too many weak flights wait for their durable copy: new weak puts are refused until the queue drains. */
public final class DurableBackpressureException extends StorageException {
  private static final long serialVersionUID = 1L;

  public DurableBackpressureException(String format, Object... args) {
    super(format, args);
  }
}
