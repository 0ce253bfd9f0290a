package dev.hangar.server.dataplane;

import dev.hangar.tiers.ipc.Body;
import dev.hangar.tiers.ipc.BufferBody;
import io.grpc.Drainable;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.arrow.flight.grpc.AddWritableBuffer;

/**
 * One stored message on its way out as a {@code FlightData}: the header and app_metadata exactly as
 * stored, the body handed to gRPC without a copy (a composite of the protobuf prefix and the stored
 * body, which keeps the body's reference until Netty has written it). Small messages are written as
 * one array instead, which is cheaper than the zero-copy bookkeeping. Not {@code KnownLength}, so that
 * gRPC drains it into its buffer chain, where a buffer can be added without copying.
 */
final class OutgoingFrame extends InputStream implements Drainable {
  /** Bodies up to this size are copied into the frame rather than passed by reference. */
  static final int COPY_BELOW = 16 << 10;

  private final byte[] header;
  private final byte[] appMetadata;
  private Body body; // owned until drained or closed
  private InputStream fallback;

  OutgoingFrame(byte[] header, byte[] appMetadata, Body body) {
    this.header = header;
    this.appMetadata = appMetadata;
    this.body = body;
  }

  /** The FlightData protobuf up to the body's bytes, and with them if {@code withBody}. */
  private byte[] encode(Body b, boolean withBody) {
    return FlightDataFrame.encode(null, header, appMetadata, b, withBody);
  }

  @Override
  public int drainTo(OutputStream target) throws IOException {
    Body body = this.body;
    this.body = null;
    if (!(body instanceof BufferBody b) || b.length() < COPY_BELOW) {
      Body b = body;
      byte[] bytes;
      try {
        bytes = encode(b, true);
      } finally {
        if (b != null) {
          b.close();
        }
      }
      target.write(bytes);
      return bytes.length;
    }
    byte[] prefix;
    ByteBuf composite;
    try {
      prefix = encode(b, false);
      composite = zeroCopy(prefix, b);
    } catch (RuntimeException | Error e) {
      b.close();
      throw e;
    }
    try {
      AddWritableBuffer.add(composite, target, true); // retains it if it went in without a copy
    } finally {
      composite.release();
    }
    return prefix.length + (int) b.length();
  }

  /**
   * {@code prefix} then {@code body}'s bytes, the body by reference; releasing the result closes
   * {@code body}. All of it is direct memory: Netty copies a whole frame into a direct buffer before
   * writing it to the socket if any part of it is on the heap ({@code
   * AbstractNioByteChannel.filterOutboundMessage}), which was a copy of every large body served.
   */
  static ByteBuf zeroCopy(byte[] prefix, BufferBody body) {
    ByteBuf head = PooledByteBufAllocator.DEFAULT.directBuffer(prefix.length).writeBytes(prefix);
    ByteBuf data = Unpooled.wrappedBuffer(body.buffer().nioBuffer(0, (int) body.length()));
    return new BodyHoldingComposite(body, head, data);
  }

  private void release() {
    if (body != null) {
      body.close();
      body = null;
    }
  }

  @Override
  public int read() throws IOException {
    return fallback().read();
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    return fallback().read(b, off, len);
  }

  private InputStream fallback() {
    if (fallback == null) {
      Body b = body;
      body = null;
      try {
        fallback = new java.io.ByteArrayInputStream(encode(b, true));
      } finally {
        if (b != null) {
          b.close();
        }
      }
    }
    return fallback;
  }

  @Override
  public void close() {
    release();
  }

  /** A composite that releases the stored body's reference when Netty is done with it. */
  private static final class BodyHoldingComposite extends CompositeByteBuf {
    private final BufferBody body;

    BodyHoldingComposite(BufferBody body, ByteBuf prefix, ByteBuf data) {
      super(UnpooledByteBufAllocator.DEFAULT, true, Integer.MAX_VALUE, prefix, data);
      this.body = body;
    }

    @Override
    protected void deallocate() {
      super.deallocate();
      body.close();
    }
  }
}
