package dev.hangar.tiers.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.apache.arrow.memory.ArrowBuf;

/**
 * A body held in a heap array. The memory tier keeps small bodies this way: an Arrow buffer costs
 * about 400 bytes of Java objects of its own (buffer, ledger, allocation manager, Netty buffer), more
 * than such a body, and a reader copies a small body into its frame anyway. A put also uses it for a
 * body it had to read into the heap before storing it.
 */
public final class HeapBody implements Body {
  private final byte[] bytes;

  public HeapBody(byte[] bytes) {
    this.bytes = bytes;
  }

  /** The body; shared, not to be modified. */
  public byte[] bytes() {
    return bytes;
  }

  @Override
  public long length() {
    return bytes.length;
  }

  @Override
  public void copyTo(ArrowBuf dst, long index) {
    dst.setBytes(index, bytes);
  }

  @Override
  public void writeTo(WritableByteChannel out) throws IOException {
    ByteBuffer view = ByteBuffer.wrap(bytes);
    while (view.hasRemaining()) {
      out.write(view);
    }
  }

  @Override
  public byte[] toBytes() {
    return bytes;
  }

  @Override
  public boolean rereadable() {
    return true;
  }

  @Override
  public void close() {}
}
