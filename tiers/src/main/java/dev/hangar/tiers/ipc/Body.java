package dev.hangar.tiers.ipc;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import org.apache.arrow.memory.ArrowBuf;

/**
 * A message body on its way into a tier or a durable store: read once, either into memory or onto a
 * channel. Where it comes from (a gRPC frame, a stored copy, a durable object) is the implementation's.
 */
public interface Body extends AutoCloseable {
  long length();

  /** Copies the body into {@code dst} at {@code index}. */
  void copyTo(ArrowBuf dst, long index);

  /** Writes the whole body to {@code out}. */
  void writeTo(WritableByteChannel out) throws IOException;

  /** The body as a heap array (a copy, unless the body is one already). */
  default byte[] toBytes() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream((int) length());
    try {
      writeTo(java.nio.channels.Channels.newChannel(out));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Whether the body can be read more than once (a stream from the network cannot). */
  boolean rereadable();

  /** Releases what the body holds. */
  @Override
  void close();
}
