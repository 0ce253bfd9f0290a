package dev.hangar.cli;

import org.apache.arrow.flight.FlightRuntimeException;

/**
 * What {@code hangar} exits with, one code per kind of failure, so that scripts can tell them apart.
 * The README lists them.
 */
public enum ExitCode {
  OK(0),
  /** Something this tool did not expect (its message says what). */
  FAILED(1),
  /** A command line it cannot parse. */
  USAGE(2),
  /** No node answers at the URL (not running, wrong address, TLS mismatch). */
  UNAVAILABLE(3),
  /** No such flight. */
  NOT_FOUND(4),
  /** The node refused for lack of room: a quota, capacity, or a flight too large. */
  REFUSED(5),
  /** Input the node or this tool cannot use: a bad path, a file that is not what its name says. */
  BAD_INPUT(6),
  /** Missing or wrong credentials, or no grant for the path. */
  DENIED(7);

  public final int code;

  ExitCode(int code) {
    this.code = code;
  }

  /** The code for a Flight error. */
  static ExitCode of(FlightRuntimeException e) {
    return switch (e.status().code()) {
      case UNAVAILABLE, TIMED_OUT -> UNAVAILABLE;
      case NOT_FOUND -> NOT_FOUND;
      case RESOURCE_EXHAUSTED -> REFUSED;
      case INVALID_ARGUMENT, ALREADY_EXISTS -> BAD_INPUT;
      case UNAUTHENTICATED, UNAUTHORIZED -> DENIED;
      default -> FAILED;
    };
  }
}
