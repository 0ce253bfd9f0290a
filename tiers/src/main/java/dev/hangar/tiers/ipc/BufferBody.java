package dev.hangar.tiers.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.apache.arrow.memory.ArrowBuf;

/** A body held in an Arrow buffer; owns one reference to it, released by {@link #close()}. */
public final class BufferBody implements Body {
  private final ArrowBuf buf;
  private final long length;
  private final boolean wholeAllocation;

  /** Takes over one reference to {@code buf}, whose first {@code length} bytes are the body. */
  public BufferBody(ArrowBuf buf, long length) {
    this(buf, length, false);
  }

  private BufferBody(ArrowBuf buf, long length, boolean wholeAllocation) {
    this.buf = buf;
    this.length = length;
    this.wholeAllocation = wholeAllocation;
  }

  /**
   * Takes over {@code buf}, just allocated for this body ({@code allocator.buffer(length)}), so that a
   * tier under the same root can take its accounting over instead of copying it
   * ({@link Message#bodyFor}).
   */
  public static BufferBody allocated(ArrowBuf buf, long length) {
    if (buf.capacity() < length) { // capacity is the allocation's size class: at least length
      throw new IllegalArgumentException("a buffer of " + buf.capacity() + " bytes cannot hold a body of " + length);
    }
    return new BufferBody(buf, length, true);
  }

  /** Whether the buffer is a whole allocation made for this body alone. */
  boolean wholeAllocation() {
    return wholeAllocation;
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
