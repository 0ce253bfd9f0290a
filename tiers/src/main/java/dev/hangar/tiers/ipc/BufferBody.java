package dev.hangar.tiers.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.apache.arrow.memory.ArrowBuf;

/** A body held in an Arrow buffer; owns one reference to it, released by {@link #close()}. */
public final class BufferBody implements Body {
  private final ArrowBuf buf;
  private final long length;

  /** Takes over one reference to {@code buf}, whose first {@code length} bytes are the body. */
  public BufferBody(ArrowBuf buf, long length) {
    this.buf = buf;
    this.length = length;
  }

  /** The buffer; valid until {@link #close()}. */
  public ArrowBuf buffer() {
    return buf;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public void copyTo(ArrowBuf dst, long index) {
    dst.setBytes(index, buf, 0, length);
  }

  @Override
  public void writeTo(WritableByteChannel out) throws IOException {
    long done = 0;
    while (done < length) {
      int n = (int) Math.min(length - done, 1 << 30);
      ByteBuffer view = buf.nioBuffer(done, n);
      while (view.hasRemaining()) {
        out.write(view);
      }
      done += n;
    }
  }

  @Override
  public boolean rereadable() {
    return true;
  }

  @Override
  public void close() {
    buf.close();
  }
}
