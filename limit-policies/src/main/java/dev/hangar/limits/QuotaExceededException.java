package dev.hangar.limits;

/** A put would take a scope past its {@code total} or {@code flights} quota; nothing was charged. */
public final class QuotaExceededException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Scope scope;

  QuotaExceededException(Scope scope, String message) {
    super(message);
    this.scope = scope;
  }

  /** The first scope the put did not fit. */
  public Scope scope() {
    return scope;
  }
}
