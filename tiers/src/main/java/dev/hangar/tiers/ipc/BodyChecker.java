package dev.hangar.tiers.ipc;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import org.apache.arrow.memory.ArrowBuf;

/**
 * Checks what a message header leaves to its body ({@link MessageHeader.BodyChecks}), before the body is
 * stored:
 *
 * <ul>
 *   <li>each compressed buffer starts with its uncompressed length (or -1 for a buffer left
 *       uncompressed), and what follows decompresses to exactly that many bytes, at least as many as its
 *       column needs. The check decodes through a bounded window (zstd: 64 KiB; LZ4: {@link Lz4Frame}, 64
 *       KiB and a block), whatever length a header declares;
 *   <li>the first and last offsets of each binary, string, list and map column lie inside its data (the
 *       check Arrow's readers make on every batch they read);
 *   <li>a dictionary batch's further checks ({@link DictionaryChecks}), over its buffers decompressed.
 * </ul>
 *
 * <p>A compressed body is decoded once, buffer by buffer. The only buffers held decompressed are the
 * offsets an offsets check reads, one column's at a time, and each only once it has decoded to a length
 * near what its column needs, or to the length it declares. A dictionary's further checks then decode the
 * buffers they read once more, once the first pass has confirmed every buffer's length.
 */
final class BodyChecker {
  private static final long UNCOMPRESSED = -1;
  private static final int SCRATCH = 64 << 10;
  /** How far past its column's need a kept buffer may declare its length before that is confirmed by decoding (padding, slack). */
  private static final long SLACK = 64 << 10;

  private BodyChecker() {}

  static void check(MessageHeader.BodyChecks checks, ArrowBuf body, int message) {
    if (checks.compressed()) {
      checkCompressed(checks, body, message);
      if (!checks.deep().isEmpty()) { // a dictionary's: each buffer its checks read, decoded once more when first read
        ByteBuffer[] decoded = new ByteBuffer[checks.offsets().length];
        Lz4Frame lz4 = checks.codec() == MessageHeader.BodyChecks.LZ4_FRAME ? new Lz4Frame() : null;
        byte[] scratch = lz4 != null ? null : new byte[SCRATCH];
        checks.deep().forEach(d -> d.run(i -> decoded[i] != null ? decoded[i]
            : (decoded[i] = decode(checks, body, i, lz4, scratch, message)), message));
      }
      return;
    }
    checks.deep().forEach(d -> d.run(i -> uncompressed(checks, body, i), message));
    for (MessageHeader.OffsetRange r : checks.ranges()) {
      if (r.count() == 0) {
        continue;
      }
      long at = checks.offsets()[r.buffer()];
      long first = r.width() == 4 ? body.getInt(at) : body.getLong(at);
      long last = r.width() == 4 ? body.getInt(at + 4 * r.count()) : body.getLong(at + 8 * r.count());
      checkBounds(r, first, last, r.limitBuffer() >= 0 ? checks.lengths()[r.limitBuffer()] : r.limit(), message);
    }
  }

  /**
   * A compressed body, decoded once: buffers in body order, each checked against its declared length as
   * it is decoded. The offsets an offsets check reads are kept decoded only until the data they point
   * into is sized, and then checked and dropped, so one column's offsets at most are held at a time.
   */
  private static void checkCompressed(MessageHeader.BodyChecks c, ArrowBuf body, int message) {
    int n = c.offsets().length;
    int[] uses = new int[n]; // by the offsets checks: a buffer is kept decoded while any is to come
    @SuppressWarnings("unchecked")
    java.util.List<MessageHeader.OffsetRange>[] checkAfter = new java.util.List[n]; // ranges, by their last buffer
    for (MessageHeader.OffsetRange r : c.ranges()) {
      if (r.count() == 0) {
        continue;
      }
      uses[r.buffer()]++;
      int last = Math.max(r.buffer(), r.limitBuffer());
      (checkAfter[last] = checkAfter[last] != null ? checkAfter[last] : new java.util.ArrayList<>(1)).add(r);
    }
    Lz4Frame lz4 = c.codec() == MessageHeader.BodyChecks.LZ4_FRAME ? new Lz4Frame() : null; // its buffers serve the whole message
    byte[] scratch = null; // zstd's, once a buffer needs it
    long[] sizes = new long[n];
    ByteBuffer[] decoded = new ByteBuffer[n];
    for (int i = 0; i < n; i++) {
      long offset = c.offsets()[i];
      long length = c.lengths()[i];
      if (length == 0) {
        if (c.needed()[i] > 0) {
          throw bad(message, "buffer %d is empty, but its column needs %d bytes", i, c.needed()[i]);
        }
        decoded[i] = uses[i] > 0 ? ByteBuffer.allocate(0) : null;
      } else {
        if (length < 8) {
          throw bad(message, "compressed buffer %d has %d bytes, fewer than the 8 of its length prefix", i, length);
        }
        long declared = body.getLong(offset);
        long actual;
        byte[] out = null;
        if (declared == UNCOMPRESSED) {
          actual = length - 8;
          if (uses[i] > 0) {
            out = new byte[arraySize(actual, i, message)];
            body.getBytes(offset + 8, out);
          }
        } else if (declared < 0) {
          throw bad(message, "compressed buffer %d declares a negative uncompressed length %d", i, declared);
        } else {
          scratch = lz4 != null || scratch != null ? scratch : new byte[SCRATCH];
          if (uses[i] > 0) {
            if (declared > c.needed()[i] + SLACK) { // confirmed before that much is allocated for it
              decompress(c, body, i, declared, lz4, scratch, null, message);
            }
            out = new byte[arraySize(declared, i, message)];
          }
          actual = decompress(c, body, i, declared, lz4, scratch, out, message);
        }
        if (actual < c.needed()[i]) {
          throw bad(message, "buffer %d holds %d bytes uncompressed, fewer than the %d its column needs", i, actual, c.needed()[i]);
        }
        sizes[i] = actual;
        decoded[i] = out != null ? ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN) : null;
      }
      if (checkAfter[i] != null) {
        for (MessageHeader.OffsetRange r : checkAfter[i]) {
          checkRange(r, decoded[r.buffer()], r.limitBuffer() >= 0 ? sizes[r.limitBuffer()] : r.limit(), message);
        }
        for (MessageHeader.OffsetRange r : checkAfter[i]) {
          if (--uses[r.buffer()] == 0) {
            decoded[r.buffer()] = null;
          }
        }
      }
    }
  }

  /**
   * Decompresses buffer {@code i} (into {@code out} as far as it reaches, if given) and returns its
   * length, which is {@code declared}: anything else is refused.
   */
  private static long decompress(MessageHeader.BodyChecks c, ArrowBuf body, int i, long declared, Lz4Frame lz4, byte[] scratch,
      byte[] out, int message) {
    long offset = c.offsets()[i] + 8;
    long length = c.lengths()[i] - 8;
    long actual = lz4 != null ? lz4.decode(body, offset, length, declared, out) : zstd(body, offset, length, declared, scratch, out);
    if (actual < 0) {
      throw bad(message, "compressed buffer %d is not valid %s data", i, c.codecName());
    }
    if (actual != declared) {
      throw bad(message, "compressed buffer %d declares %d uncompressed bytes but decompresses to %s", i, declared,
          actual > declared ? "more" : actual + "");
    }
    return actual;
  }

  private static int arraySize(long size, int i, int message) {
    if (size > Integer.MAX_VALUE - 8) {
      throw bad(message, "compressed buffer %d declares %d uncompressed bytes, more than one buffer may hold", i, size);
    }
    return (int) size;
  }

  /**
   * Buffer {@code i} of a compressed body, decompressed, after {@link #checkCompressed} has confirmed it
   * decodes to the length it declares. Only a dictionary's checks decode whole buffers, and only the ones
   * they read (offsets, strings, views, values they check), not, say, a list's child values.
   */
  private static ByteBuffer decode(MessageHeader.BodyChecks c, ArrowBuf body, int i, Lz4Frame lz4, byte[] scratch, int message) {
    long length = c.lengths()[i];
    byte[] out;
    if (length == 0) {
      out = new byte[0];
    } else if (body.getLong(c.offsets()[i]) == UNCOMPRESSED) {
      out = new byte[arraySize(length - 8, i, message)];
      body.getBytes(c.offsets()[i] + 8, out);
    } else {
      long declared = body.getLong(c.offsets()[i]);
      out = new byte[arraySize(declared, i, message)];
      decompress(c, body, i, declared, lz4, scratch, out, message);
    }
    return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Buffer {@code i} of an uncompressed body. */
  private static ByteBuffer uncompressed(MessageHeader.BodyChecks checks, ArrowBuf body, int i) {
    return body.nioBuffer(checks.offsets()[i], (int) checks.lengths()[i]).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** One column's offsets: the first and last lie in [0, limit]. */
  private static void checkRange(MessageHeader.OffsetRange r, ByteBuffer offsets, long limit, int message) {
    long first = r.width() == 4 ? offsets.getInt(0) : offsets.getLong(0);
    long last = r.width() == 4 ? offsets.getInt((int) (4 * r.count())) : offsets.getLong((int) (8 * r.count()));
    checkBounds(r, first, last, limit, message);
  }

  private static void checkBounds(MessageHeader.OffsetRange r, long first, long last, long limit, int message) {
    if (first < 0 || last < first || last > limit) {
      throw bad(message, "column \"%s\" has offsets from %d to %d, outside its %d %s", r.column(), first, last, limit,
          r.limitBuffer() >= 0 ? "bytes of data" : "child values");
    }
  }

  /** Whether bytes [from, to) of {@code data} are well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
  static boolean utf8(ByteBuffer data, int from, int to) {
    int i = from;
    while (i < to) {
      int b = data.get(i) & 0xff;
      if (b < 0x80) {
        i++;
        continue;
      }
      int n;
      int min;
      if (b >= 0xc2 && b <= 0xdf) {
        n = 1;
        min = 0x80;
      } else if (b >= 0xe0 && b <= 0xef) {
        n = 2;
        min = 0x800;
      } else if (b >= 0xf0 && b <= 0xf4) {
        n = 3;
        min = 0x10000;
      } else {
        return false;
      }
      if (i + n >= to) {
        return false; // fewer continuation bytes left than the lead byte announces
      }
      int cp = b & (0x3f >> n);
      for (int k = 1; k <= n; k++) {
        int c = data.get(i + k) & 0xff;
        if ((c & 0xc0) != 0x80) {
          return false;
        }
        cp = (cp << 6) | (c & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return false;
      }
      i += n + 1;
    }
    return true;
  }

  /** Decompresses Zstandard frames, counting bytes (and keeping them in {@code out}, if given); stops past {@code limit}. -1 if invalid. */
  private static long zstd(ArrowBuf body, long offset, long length, long limit, byte[] scratch, byte[] out) {
    try (InputStream in = new ZstdInputStreamNoFinalizer(new BufInputStream(body, offset, length))) {
      long total = 0;
      int n;
      while ((n = in.read(scratch)) > 0) {
        if (total + n > limit) {
          return total + n;
        }
        if (out != null) {
          System.arraycopy(scratch, 0, out, (int) total, n);
        }
        total += n;
      }
      return total; // a Zstandard buffer may hold several frames; zstd reads them all
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static InvalidMessageException bad(int message, String format, Object... args) {
    return new InvalidMessageException("message " + message + ": " + String.format(Locale.ROOT, format, args));
  }

  /** The bytes of one buffer of a body. */
  private static final class BufInputStream extends InputStream {
    private final ArrowBuf buf;
    private long position;
    private final long end;

    BufInputStream(ArrowBuf buf, long offset, long length) {
      this.buf = buf;
      this.position = offset;
      this.end = offset + length;
    }

    @Override
    public int read() {
      return position < end ? buf.getByte(position++) & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position >= end) {
        return -1;
      }
      int n = (int) Math.min(len, end - position);
      buf.getBytes(position, b, off, n);
      position += n;
      return n;
    }
  }
}
