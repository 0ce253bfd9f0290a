package dev.hangar.server.sql;

/** No query slot: the queue is full, or the query waited longer than {@code sql.queueTimeout}. */
public final class SqlBusyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SqlBusyException(String message) {
    super(message);
  }
}
