package dev.hangar.server.sql;

/** A query stopped because its client cancelled it or went away. */
public final class SqlCancelledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SqlCancelledException(String message) {
    super(message);
  }
}
