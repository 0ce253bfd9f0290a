package dev.hangar.tiers.durable;

/** A durable store could not be reached or refused an operation. The message names the store. */
public final class DurableStoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DurableStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public DurableStoreException(String message) {
    super(message);
  }
}
