package dev.hangar.tiers.ipc;

/**
 * An Arrow IPC message, or a sequence of them, that is not valid Arrow: a malformed flatbuffer, a
 * message out of place, a body that does not match its header. The message says which and why, in
 * words for the client that sent it.
 */
public final class InvalidMessageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidMessageException(String message) {
    super(message);
  }
}
