package dev.hangar.server.sql;

/** A query ran longer than {@code sql.queryTimeout} and was interrupted. */
public final class QueryTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QueryTimeoutException(String message) {
    super(message);
  }
}
