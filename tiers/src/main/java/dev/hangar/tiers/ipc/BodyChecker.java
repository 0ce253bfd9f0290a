package dev.hangar.tiers.ipc;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayOutputStream;
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
 *       KiB and a block) and holds no decompressed buffer, whatever length a header declares;
 *   <li>the first and last offsets of each binary, string, list and map column lie inside its data (the
 *       check Arrow's readers make on every batch they read).
 * </ul>
 */
final class BodyChecker {
  private static final long UNCOMPRESSED = -1;
  private static final int SCRATCH = 64 << 10;

  private BodyChecker() {}

  static void check(MessageHeader.BodyChecks checks, ArrowBuf body, int message) {
    Lz4Frame lz4 = checks.codec() == MessageHeader.BodyChecks.LZ4_FRAME ? new Lz4Frame() : null; // its buffers serve the whole message
    long[] sizes = checks.compressed() ? decompressedSizes(checks, body, lz4, message) : checks.lengths();
    for (MessageHeader.OffsetRange r : checks.ranges()) {
      if (r.count() == 0) {
        continue;
      }
      long first;
      long last;
      ByteBuffer offsets = null; // decompressed, if they had to be
      if (checks.compressed()) {
        offsets = decompress(checks, body, r.buffer(), lz4, message);
        first = r.width() == 4 ? offsets.getInt(0) : offsets.getLong(0);
        last = r.width() == 4 ? offsets.getInt((int) (4 * r.count())) : offsets.getLong((int) (8 * r.count()));
      } else {
        long at = checks.offsets()[r.buffer()];
        first = r.width() == 4 ? body.getInt(at) : body.getLong(at);
        last = r.width() == 4 ? body.getInt(at + 4 * r.count()) : body.getLong(at + 8 * r.count());
      }
      long limit = r.limitBuffer() >= 0 ? sizes[r.limitBuffer()] : r.limit();
      if (first < 0 || last < first || last > limit) {
        throw bad(message, "column \"%s\" has offsets from %d to %d, outside its %d %s", r.column(), first, last, limit,
            r.limitBuffer() >= 0 ? "bytes of data" : "child values");
      }
      if (r.utf8()) {
        checkUtf8(r, offsets != null ? offsets : buffer(checks, body, r.buffer(), lz4, message),
            buffer(checks, body, r.limitBuffer(), lz4, message), message);
      }
    }
  }

  /** Buffer {@code i} of the body, decompressed if need be. */
  private static ByteBuffer buffer(MessageHeader.BodyChecks checks, ArrowBuf body, int i, Lz4Frame lz4, int message) {
    if (checks.compressed()) {
      return decompress(checks, body, i, lz4, message);
    }
    return body.nioBuffer(checks.offsets()[i], (int) checks.lengths()[i]).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Every string of a string column: offsets that only grow, and UTF-8 between them. */
  private static void checkUtf8(MessageHeader.OffsetRange r, ByteBuffer offsets, ByteBuffer data, int message) {
    long previous = r.width() == 4 ? offsets.getInt(0) : offsets.getLong(0);
    for (int i = 1; i <= r.count(); i++) {
      long next = r.width() == 4 ? offsets.getInt(4 * i) : offsets.getLong(8 * i);
      if (next < previous || next > data.limit()) {
        throw bad(message, "column \"%s\" has offsets that do not grow at value %d", r.column(), i - 1);
      }
      if (!utf8(data, (int) previous, (int) next)) {
        throw bad(message, "column \"%s\" (a string dictionary) has a value that is not UTF-8 at index %d", r.column(), i - 1);
      }
      previous = next;
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

  /** Checks every compressed buffer; returns their uncompressed sizes. */
  private static long[] decompressedSizes(MessageHeader.BodyChecks c, ArrowBuf body, Lz4Frame lz4, int message) {
    long[] sizes = new long[c.offsets().length];
    byte[] scratch = null; // zstd's
    for (int i = 0; i < sizes.length; i++) {
      long offset = c.offsets()[i];
      long length = c.lengths()[i];
      if (length == 0) {
        if (c.needed()[i] > 0) {
          throw bad(message, "buffer %d is empty, but its column needs %d bytes", i, c.needed()[i]);
        }
        continue;
      }
      if (length < 8) {
        throw bad(message, "compressed buffer %d has %d bytes, fewer than the 8 of its length prefix", i, length);
      }
      long declared = body.getLong(offset);
      long actual;
      if (declared == UNCOMPRESSED) {
        actual = length - 8;
      } else if (declared < 0) {
        throw bad(message, "compressed buffer %d declares a negative uncompressed length %d", i, declared);
      } else {
        if (c.codec() == MessageHeader.BodyChecks.LZ4_FRAME) {
          actual = lz4.decode(body, offset + 8, length - 8, declared, null);
        } else {
          scratch = scratch != null ? scratch : new byte[SCRATCH];
          actual = zstd(body, offset + 8, length - 8, declared, scratch, null);
        }
        if (actual < 0) {
          throw bad(message, "compressed buffer %d is not valid %s data", i, c.codecName());
        }
        if (actual != declared) {
          throw bad(message, "compressed buffer %d declares %d uncompressed bytes but decompresses to %s", i, declared,
              actual > declared ? "more" : actual + "");
        }
      }
      if (actual < c.needed()[i]) {
        throw bad(message, "buffer %d holds %d bytes uncompressed, fewer than the %d its column needs", i, actual, c.needed()[i]);
      }
      sizes[i] = actual;
    }
    return sizes;
  }

  /** Buffer {@code i}, decompressed (its sizes already checked). */
  private static ByteBuffer decompress(MessageHeader.BodyChecks c, ArrowBuf body, int i, Lz4Frame lz4, int message) {
    long offset = c.offsets()[i];
    long length = c.lengths()[i];
    long declared = body.getLong(offset);
    if (declared > Integer.MAX_VALUE) {
      throw bad(message, "compressed buffer %d declares %d uncompressed bytes, more than one buffer may hold", i, declared);
    }
    byte[] out;
    if (declared == UNCOMPRESSED) {
      out = new byte[(int) (length - 8)];
      body.getBytes(offset + 8, out);
    } else if (c.codec() == MessageHeader.BodyChecks.LZ4_FRAME) {
      out = new byte[(int) declared];
      lz4.decode(body, offset + 8, length - 8, declared, out);
    } else {
      ByteArrayOutputStream sink = new ByteArrayOutputStream((int) declared);
      zstd(body, offset + 8, length - 8, declared, new byte[SCRATCH], sink);
      out = sink.toByteArray();
    }
    return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Decompresses Zstandard frames, counting bytes (and keeping them if {@code sink} is given); stops past {@code limit}. -1 if invalid. */
  private static long zstd(ArrowBuf body, long offset, long length, long limit, byte[] scratch, ByteArrayOutputStream sink) {
    try (InputStream in = new ZstdInputStreamNoFinalizer(new BufInputStream(body, offset, length))) {
      long total = 0;
      int n;
      while ((n = in.read(scratch)) > 0) {
        total += n;
        if (total > limit) {
          return total;
        }
        if (sink != null) {
          sink.write(scratch, 0, n);
        }
      }
      return total; // a Zstandard buffer may hold several frames; zstd reads them all
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static InvalidMessageException bad(int message, String format, Object... args) {
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
