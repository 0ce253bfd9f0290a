package dev.hangar.tiers.ipc;

import org.apache.arrow.memory.ArrowBuf;

/**
 * The rules the reference LZ4 decoder (liblz4's {@code LZ4_decompress_safe}, which Arrow C++ and so
 * pyarrow use) holds every block of an LZ4 frame to, and which the Java decoder Hangar decompresses
 * with does not: each match refers to bytes already decoded (in this block, or for linked blocks in
 * the 64 KiB before it, never before the frame's start), a block ends with a run of literals, the
 * sequence before the last leaves at least 8 bytes of input after its literals, and no literal run
 * but the last comes within 12 bytes, and no match within 5 bytes, of the block's largest size. A
 * frame that breaks one of them is one pyarrow cannot read. The walk reads tokens and lengths only;
 * literals are skipped.
 */
final class Lz4Blocks {
  private static final int MAGIC = 0x184D2204;
  private static final int WINDOW = 65535;
  private static final int MFLIMIT = 12;
  private static final int LAST_LITERALS = 5;

  private Lz4Blocks() {}

  /** Whether the LZ4 frame in {@code length} bytes of {@code body} from {@code offset} keeps those rules (its structure is checked elsewhere). */
  static boolean valid(ArrowBuf body, long offset, long length) {
    long p = offset;
    long end = offset + length;
    if (length < 7 || body.getInt(p) != MAGIC) {
      return false;
    }
    int flg = body.getByte(p + 4) & 0xff;
    int bd = body.getByte(p + 5) & 0xff;
    long capacity = switch ((bd >>> 4) & 7) {
      case 4 -> 64L << 10;
      case 5 -> 256L << 10;
      case 6 -> 1L << 20;
      case 7 -> 4L << 20;
      default -> -1;
    };
    if (capacity < 0) {
      return false;
    }
    boolean independent = (flg & 0x20) != 0;
    boolean blockChecksum = (flg & 0x10) != 0;
    p += 6 + ((flg & 0x08) != 0 ? 8 : 0) + ((flg & 0x01) != 0 ? 4 : 0) + 1; // magic, FLG, BD, content size, dictionary id, HC
    long produced = 0;
    while (p + 4 <= end) {
      long size = body.getInt(p) & 0xFFFFFFFFL;
      p += 4;
      if (size == 0) {
        return true; // the end mark (a content checksum may follow)
      }
      boolean stored = (size & 0x80000000L) != 0;
      size &= 0x7FFFFFFFL;
      if (size > end - p) {
        return false;
      }
      if (stored) {
        produced += size;
      } else {
        long made = block(body, p, p + size, capacity, independent ? 0 : Math.min(produced, WINDOW));
        if (made < 0) {
          return false;
        }
        produced += made;
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    return false;
  }

  /** The bytes block [{@code from}, {@code end}) decodes to, or -1 if it breaks a rule; {@code history}: the bytes a match may reach before it. */
  private static long block(ArrowBuf body, long from, long end, long capacity, long history) {
    Cursor in = new Cursor(body, from, end);
    long out = 0;
    while (true) {
      if (in.p >= end) {
        return -1; // a block ends with literals, not a match
      }
      int token = in.next();
      long literals = in.length(token >>> 4);
      if (literals < 0 || literals > end - in.p) {
        return -1;
      }
      in.p += literals;
      out += literals;
      if (in.p == end) {
        return out <= capacity ? out : -1; // the last sequence: literals only
      }
      if (end - in.p < 2 + 1 + LAST_LITERALS || out > capacity - MFLIMIT) {
        return -1; // too close to the end of the input or of the block for another sequence
      }
      int offset = in.next() | in.next() << 8;
      if (offset == 0 || offset > out + history) {
        return -1; // a match before the bytes decoded so far
      }
      long match = in.length(token & 15);
      if (match < 0) {
        return -1;
      }
      out += match + 4;
      if (out > capacity - LAST_LITERALS) {
        return -1;
      }
    }
  }

  /** A position in a block. */
  private static final class Cursor {
    private final ArrowBuf body;
    private final long end;
    long p;

    Cursor(ArrowBuf body, long p, long end) {
      this.body = body;
      this.p = p;
      this.end = end;
    }

    int next() {
      return body.getByte(p++) & 0xff;
    }

    /** A length that starts as {@code nibble} and, at 15, goes on in the bytes that follow (each 255 says more follows); -1 past the end. */
    long length(int nibble) {
      long length = nibble;
      if (nibble == 15) {
        int b;
        do {
          if (p >= end) {
            return -1;
          }
          b = next();
          length += b;
        } while (b == 255);
      }
      return length;
    }
  }
}
