package dev.hangar.tiers.ipc;

/** Reads a stored flight's messages in order, for one reader. */
public interface MessageCursor extends AutoCloseable {
  /**
   * The next message, with its body (if any) as a {@link BufferBody} whose reference the caller now
   * owns and must close; null at the end.
   */
  Message next();

  @Override
  void close();
}
