package dev.hangar.tiers.ipc;

/**
 * A stored flight has a column whose type a component that decodes data (Arrow Java, DuckDB) cannot
 * represent. The flight is still stored and served as sent; only computing on it is refused.
 */
public final class UnsupportedTypeException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String column;
  private final String type;

  public UnsupportedTypeException(String column, String type, String component) {
    super("column \"" + column + "\" has type " + type + ", which " + component + " cannot decode");
    this.column = column;
    this.type = type;
  }

  public String column() {
    return column;
  }

  public String type() {
    return type;
  }
}
