package dev.hangar.storage;

/**
 * A put needs room under a limit policy's {@code ephemeral} limit and evicting the scope's other
 * flights cannot make it: the flight alone is larger than the limit, or what is left is in use.
 */
public final class EphemeralLimitException extends StorageException {
  private static final long serialVersionUID = 1L;

  public EphemeralLimitException(String format, Object... args) {
    super(format, args);
  }
}
