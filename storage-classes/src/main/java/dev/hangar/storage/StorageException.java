package dev.hangar.storage;

import java.util.Locale;

/**
 * Base of the storage layer's unchecked exceptions. Messages are written for the client: they say
 * what could not be done and why, and never carry server internals.
 */
public abstract class StorageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected StorageException(String format, Object... args) {
    super(String.format(Locale.ROOT, format, args));
  }
}
