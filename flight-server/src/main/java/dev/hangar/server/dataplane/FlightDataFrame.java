package dev.hangar.server.dataplane;

import dev.hangar.tiers.ipc.Body;
import dev.hangar.tiers.ipc.HeapBody;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import org.apache.arrow.flight.grpc.GetReadableBuffer;
import org.apache.arrow.memory.ArrowBuf;

/**
 * One received {@code FlightData}, its protobuf fields read by hand: the descriptor, the IPC message
 * header and the app_metadata as byte arrays, and the body as a {@link Body} that copies straight out
 * of gRPC's receive buffers when it is consumed (during the call's {@code onMessage}, while gRPC still
 * holds them). Never throws on bad input: a frame that is not a FlightData protobuf carries the reason
 * in {@link #malformed()}.
 */
final class FlightDataFrame implements AutoCloseable {
  static final int DESCRIPTOR = 1;
  static final int DATA_HEADER = 2;
  static final int APP_METADATA = 3;
  static final int DATA_BODY = 1000;

  final byte[] descriptor;
  final byte[] header;
  final byte[] appMetadata;
  final long bodyLength;
  final Body body; // null if there is none
  final String malformed;

  private FlightDataFrame(byte[] descriptor, byte[] header, byte[] appMetadata, long bodyLength, Body body, String malformed) {
    this.descriptor = descriptor;
    this.header = header;
    this.appMetadata = appMetadata;
    this.bodyLength = bodyLength;
    this.body = body;
    this.malformed = malformed;
  }

  String malformed() {
    return malformed;
  }

  /**
   * This frame with its body taken over from gRPC, which releases its receive buffers once {@code
   * onMessage} returns: for a call that handles the frame later, on another thread. Zero-copy where
   * gRPC allows it ({@link io.grpc.Detachable}); closing the frame then releases the buffers.
   */
  FlightDataFrame detached() {
    if (!(body instanceof StreamBody s)) {
      return this;
    }
    return new FlightDataFrame(descriptor, header, appMetadata, bodyLength, s.detach(), malformed);
  }

  static FlightDataFrame parse(InputStream in) {
    byte[] descriptor = null;
    byte[] header = null;
    byte[] app = null;
    Body body = null;
    long bodyLength = 0;
    try {
      while (true) {
        long tag = readVarint(in, true);
        if (tag < 0) {
          break;
        }
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        if (wire != 2) {
          skip(in, wire);
          continue;
        }
        long length = readVarint(in, false);
        if (length < 0 || length > Integer.MAX_VALUE) {
          return malformed("a field of " + length + " bytes");
        }
        switch (field) {
          case DESCRIPTOR -> descriptor = readBytes(in, (int) length);
          case DATA_HEADER -> header = readBytes(in, (int) length);
          case APP_METADATA -> app = readBytes(in, (int) length);
          case DATA_BODY -> {
            bodyLength = length;
            if (in.available() == length) {
              body = length == 0 ? null : new StreamBody(in, length); // the last field: copied when it is stored
              return new FlightDataFrame(descriptor, header, app, bodyLength, body, null);
            }
            byte[] bytes = readBytes(in, (int) length); // fields follow the body: keep it
            body = length == 0 ? null : new HeapBody(bytes);
          }
          default -> in.skipNBytes(length);
        }
      }
    } catch (IOException | RuntimeException e) {
      return malformed("it is cut short or not a FlightData protobuf");
    }
    return new FlightDataFrame(descriptor, header, app, bodyLength, body, null);
  }

  private static FlightDataFrame malformed(String why) {
    return new FlightDataFrame(null, null, null, 0, null, why);
  }

  /** Re-encodes the frame as a FlightData protobuf (for Arrow's own handlers: Flight SQL commands). */
  byte[] encode() throws IOException {
    return encode(descriptor, header, appMetadata, body);
  }

  /** The bytes of a FlightData message of these fields; the body, if any, is copied in (the caller keeps it). */
  static byte[] encode(byte[] descriptor, byte[] header, byte[] appMetadata, Body body) {
    return encode(descriptor, header, appMetadata, body, true);
  }

  /**
   * The bytes of a FlightData message of these fields, in one array of exactly their size: the body's
   * length field, and its bytes only if {@code withBody} (the caller keeps the body). A small DoGet
   * answers two of these per call, so they are built without a growing buffer or a second copy.
   */
  static byte[] encode(byte[] descriptor, byte[] header, byte[] appMetadata, Body body, boolean withBody) {
    long bodyLength = body == null ? 0 : body.length();
    long size = fieldSize(DESCRIPTOR, descriptor) + fieldSize(DATA_HEADER, header) + fieldSize(APP_METADATA, appMetadata)
        + (body == null ? 0 : varintSize(BODY_TAG) + varintSize(bodyLength) + (withBody ? bodyLength : 0));
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("A FlightData message of " + size + " bytes does not fit in one array");
    }
    byte[] out = new byte[(int) size];
    int at = field(out, 0, DESCRIPTOR, descriptor);
    at = field(out, at, DATA_HEADER, header);
    at = field(out, at, APP_METADATA, appMetadata);
    if (body != null) {
      at = writeVarint(out, at, BODY_TAG);
      at = writeVarint(out, at, bodyLength);
      if (withBody) {
        try {
          body.writeTo(new ByteArrayChannel(out, at));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    }
    return out;
  }

  private static final int BODY_TAG = (DATA_BODY << 3) | 2;

  private static long fieldSize(int field, byte[] value) {
    return value == null ? 0 : varintSize((field << 3) | 2) + varintSize(value.length) + value.length;
  }

  private static int field(byte[] out, int at, int field, byte[] value) {
    if (value == null) {
      return at;
    }
    at = writeVarint(out, at, (field << 3) | 2);
    at = writeVarint(out, at, value.length);
    System.arraycopy(value, 0, out, at, value.length);
    return at + value.length;
  }

  private static int varintSize(long value) {
    int n = 1;
    while ((value & ~0x7FL) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  private static int writeVarint(byte[] out, int at, long value) {
    while ((value & ~0x7FL) != 0) {
      out[at++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[at++] = (byte) value;
    return at;
  }

  /** Reads a varint; at a clean end of stream returns -1 if {@code eofOk}. */
  private static long readVarint(InputStream in, boolean eofOk) throws IOException {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = in.read();
      if (b < 0) {
        if (eofOk && shift == 0) {
          return -1;
        }
        throw new IOException("truncated varint");
      }
      result |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IOException("varint too long");
  }

  private static void skip(InputStream in, int wire) throws IOException {
    switch (wire) {
      case 0 -> readVarint(in, false);
      case 1 -> in.skipNBytes(8);
      case 5 -> in.skipNBytes(4);
      default -> throw new IOException("unsupported wire type " + wire);
    }
  }

  private static byte[] readBytes(InputStream in, int length) throws IOException {
    if (length > in.available()) {
      throw new IOException("field longer than the message");
    }
    return in.readNBytes(length);
  }

  @Override
  public void close() {
    if (body != null) {
      body.close();
    }
  }

  private static final class ByteArrayChannel implements WritableByteChannel {
    private final byte[] into;
    private int at;

    ByteArrayChannel(byte[] into, int at) {
      this.into = into;
      this.at = at;
    }

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      src.get(into, at, n);
      at += n;
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  /** A body still in gRPC's receive buffers: read once, straight into its destination. */
  private static final class StreamBody implements Body {
    private static final int CHUNK = 256 << 10;
    private final InputStream in;
    private final long length;
    private final boolean owned; // detached from gRPC: closed here

    StreamBody(InputStream in, long length) {
      this(in, length, false);
    }

    private StreamBody(InputStream in, long length, boolean owned) {
      this.in = in;
      this.length = length;
      this.owned = owned;
    }

    /** This body, owning its bytes from now on (a copy if gRPC's stream cannot hand them over). */
    Body detach() {
      if (in instanceof io.grpc.Detachable d) {
        return new StreamBody(d.detach(), length, true);
      }
      try {
        return new dev.hangar.tiers.ipc.HeapBody(in.readNBytes((int) length));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void copyTo(ArrowBuf dst, long index) {
      try {
        var readable = GetReadableBuffer.getReadableBuffer(in);
        if (readable != null) {
          readable.readBytes(dst.nioBuffer(index, (int) length));
          return;
        }
        byte[] chunk = new byte[(int) Math.min(CHUNK, length)];
        long done = 0;
        while (done < length) {
          int n = in.read(chunk, 0, (int) Math.min(chunk.length, length - done));
          if (n < 0) {
            throw new IOException("body cut short");
          }
          dst.setBytes(index + done, chunk, 0, n);
          done += n;
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void writeTo(WritableByteChannel out) throws IOException {
      var readable = GetReadableBuffer.getReadableBuffer(in);
      ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(CHUNK, length));
      long done = 0;
      while (done < length) {
        chunk.clear().limit((int) Math.min(chunk.capacity(), length - done));
        if (readable != null) {
          readable.readBytes(chunk);
        } else {
          while (chunk.hasRemaining()) {
            int n = in.read(chunk.array(), chunk.position(), chunk.remaining());
            if (n < 0) {
              throw new IOException("body cut short");
            }
            chunk.position(chunk.position() + n);
          }
        }
        chunk.flip();
        done += chunk.remaining();
        while (chunk.hasRemaining()) {
          out.write(chunk);
        }
      }
    }

    @Override
    public boolean rereadable() {
      return false;
    }

    @Override
    public void close() {
      if (owned) {
        try {
          in.close();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      } // else gRPC closes the stream after onMessage
    }
  }
}
