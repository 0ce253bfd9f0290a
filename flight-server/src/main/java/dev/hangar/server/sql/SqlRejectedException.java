package dev.hangar.server.sql;

/** A query the client got wrong: DuckDB could not parse or bind it, or Hangar does not run it. */
public final class SqlRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SqlRejectedException(String message) {
    super(message);
  }
}
