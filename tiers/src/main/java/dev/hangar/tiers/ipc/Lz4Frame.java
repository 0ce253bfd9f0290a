package dev.hangar.tiers.ipc;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.commons.compress.compressors.lz4.XXHash32;

/**
 * Decodes one LZ4 frame and refuses what the reference decoder refuses (liblz4's
 * {@code LZ4F_decompress}, which Arrow C++ and so pyarrow use), so that Hangar never stores an LZ4
 * buffer pyarrow cannot read:
 *
 * <ul>
 *   <li>the header: magic, version 1, reserved bits clear, a block size of 64 KiB to 4 MiB, its
 *       checksum; a declared content size (unless 0, which liblz4 ignores) equals what the frame
 *       decodes to;
 *   <li>every block: no larger than the block size, its checksum if the frame has block checksums,
 *       and {@code LZ4_decompress_safe}'s rules: each match refers to bytes already decoded (in this
 *       block, or for linked blocks in the 64 KiB before it, never before the frame's start), a block
 *       ends with a run of literals, the sequence before the last leaves at least 8 bytes of input
 *       after its literals, no literal run but the last comes within 12 bytes, and no match within 5
 *       bytes, of the block size;
 *   <li>the end mark, the content checksum if the frame has one, and nothing after them (Arrow C++
 *       refuses a buffer of "more than one frame").
 * </ul>
 *
 * <p>Blocks are decoded into a window that holds the 64 KiB a linked block may refer to and room for
 * one block; literals and matches are bulk copies. So memory stays at most 64 KiB plus two blocks (of
 * at most 4 MiB each) whatever length the frame decodes to, and a check stops as soon as the frame has
 * decoded more than its caller allows. One decoder serves the buffers of one message, one at a time.
 */
final class Lz4Frame {
  /** What {@link #decode} returns for a frame the reference decoder refuses. */
  static final long INVALID = -1;

  private static final int MAGIC = 0x184D2204;
  private static final int HISTORY = 64 << 10;
  private static final int MFLIMIT = 12;
  private static final int LAST_LITERALS = 5;
  private static final int OVER = -2; // a block decodes to more than its caller allows

  private byte[] input = new byte[0];
  private byte[] window = new byte[0];

  /**
   * Decodes the frame in {@code length} bytes of {@code body} from {@code offset}: returns the bytes it
   * decodes to, more than {@code limit} as soon as it decodes past {@code limit} (the rest unchecked),
   * or {@link #INVALID}. If {@code out} is given, the decoded bytes are copied into it as far as it
   * reaches.
   */
  long decode(ArrowBuf body, long offset, long length, long limit, byte[] out) {
    return decode(body, offset, length, limit, out, null);
  }

  /** As {@link #decode(ArrowBuf, long, long, long, byte[])}, copying the decoded bytes into {@code out} as far as its capacity reaches. */
  long decodeInto(ArrowBuf body, long offset, long length, long limit, ArrowBuf out) {
    return decode(body, offset, length, limit, null, out);
  }

  private long decode(ArrowBuf body, long offset, long length, long limit, byte[] outArray, ArrowBuf outBuf) {
    long end = offset + length;
    long outLength = outArray != null ? outArray.length : outBuf != null ? outBuf.capacity() : 0;
    limit = Math.min(limit, Long.MAX_VALUE - 1); // so that limit + 1 is more
    if (length < 7 || body.getInt(offset) != MAGIC) {
      return INVALID;
    }
    int flg = body.getByte(offset + 4) & 0xff;
    int bd = body.getByte(offset + 5) & 0xff;
    if (flg >>> 6 != 1 || (flg & 0x02) != 0 || (bd & 0x8f) != 0 || (bd >>> 4) < 4) {
      return INVALID; // version, reserved bits, block size
    }
    int blockSize = 1 << (8 + 2 * (bd >>> 4)); // 4 -> 64 KiB ... 7 -> 4 MiB
    boolean independent = (flg & 0x20) != 0;
    boolean blockChecksums = (flg & 0x10) != 0;
    boolean contentSized = (flg & 0x08) != 0;
    XXHash32 content = (flg & 0x04) != 0 ? new XXHash32() : null;
    int descriptor = 2 + (contentSized ? 8 : 0) + ((flg & 0x01) != 0 ? 4 : 0); // FLG, BD, content size, dictionary id
    if (length < 4 + descriptor + 1 + 4) {
      return INVALID;
    }
    byte[] header = new byte[descriptor];
    body.getBytes(offset + 4, header);
    if ((checksum(header, descriptor) >>> 8 & 0xff) != (body.getByte(offset + 4 + descriptor) & 0xff)) {
      return INVALID;
    }
    long declared = contentSized ? body.getLong(offset + 6) : 0;

    long p = offset + 4 + descriptor + 1;
    long total = 0;
    int pos = 0; // where the next block goes in the window; the history before it
    int room = (int) Math.min(blockSize, limit + 1); // what one block may decode to before it passes the limit
    if (window.length < HISTORY + room) {
      window = new byte[HISTORY + room];
    }
    while (true) {
      if (end - p < 4) {
        return INVALID;
      }
      long word = body.getInt(p) & 0xFFFFFFFFL;
      p += 4;
      if (word == 0) {
        break; // the end mark
      }
      int size = (int) (word & 0x7FFFFFFF);
      if (size > blockSize || size > end - p - (blockChecksums ? 4 : 0)) {
        return INVALID;
      }
      if (input.length < size) {
        input = new byte[Math.max(size, Math.min(blockSize, 2 * input.length))];
      }
      body.getBytes(p, input, 0, size);
      p += size;
      if (blockChecksums) {
        if (checksum(input, size) != body.getInt(p)) {
          return INVALID;
        }
        p += 4;
      }
      int allowed = (int) Math.min(room, limit - total + 1);
      if (window.length - pos < allowed) {
        int keep = Math.min(pos, HISTORY);
        System.arraycopy(window, pos - keep, window, 0, keep);
        pos = keep;
      }
      int made;
      if ((word & 0x80000000L) != 0) { // stored uncompressed
        made = size <= allowed ? size : OVER;
        if (made >= 0) {
          System.arraycopy(input, 0, window, pos, size);
        }
      } else {
        made = block(input, size, window, pos, allowed, blockSize, independent ? 0 : (int) Math.min(total, HISTORY));
      }
      if (made == OVER) {
        return limit + 1;
      }
      if (made < 0) {
        return INVALID;
      }
      if (content != null) {
        content.update(window, pos, made);
      }
      if (total < outLength) {
        int n = (int) Math.min(made, outLength - total);
        if (outArray != null) {
          System.arraycopy(window, pos, outArray, (int) total, n);
        } else {
          outBuf.setBytes(total, window, pos, n);
        }
      }
      pos += made;
      total += made;
    }
    if (content != null) {
      if (end - p < 4 || (int) content.getValue() != body.getInt(p)) {
        return INVALID;
      }
      p += 4;
    }
    return p == end && (declared == 0 || declared == total) ? total : INVALID;
  }

  /**
   * Decodes the block in {@code in[0, inEnd)} to {@code out} from {@code start}: the bytes it decodes
   * to, {@link #INVALID} if it breaks a rule, or {@link #OVER} past {@code allowed} bytes; {@code
   * capacity}: the frame's block size; {@code history}: how many bytes before {@code start} a match may
   * reach.
   */
  private static int block(byte[] in, int inEnd, byte[] out, int start, int allowed, int capacity, int history) {
    int ip = 0;
    int op = start;
    while (true) {
      if (ip >= inEnd) {
        return (int) INVALID; // a block ends with literals, not a match
      }
      int token = in[ip++] & 0xff;
      long run = length(in, ip, inEnd, token >>> 4);
      if (run < 0) {
        return (int) INVALID;
      }
      int literals = (int) run;
      ip = (int) (run >>> 32);
      int made = op - start;
      if (literals > inEnd - ip || literals > capacity - made) {
        return (int) INVALID;
      }
      if (literals > allowed - made) {
        return OVER;
      }
      System.arraycopy(in, ip, out, op, literals);
      ip += literals;
      op += literals;
      made += literals;
      if (ip == inEnd) {
        return made; // the last sequence: literals only
      }
      if (inEnd - ip < 2 + 1 + LAST_LITERALS || made > capacity - MFLIMIT) {
        return (int) INVALID; // too close to the end of the input or of the block for another sequence
      }
      int offset = (in[ip] & 0xff) | (in[ip + 1] & 0xff) << 8;
      ip += 2;
      if (offset == 0 || offset > made + history) {
        return (int) INVALID; // a match before the bytes decoded so far
      }
      run = length(in, ip, inEnd, token & 15);
      if (run < 0) {
        return (int) INVALID;
      }
      int match = (int) run + 4;
      ip = (int) (run >>> 32);
      if (match > capacity - LAST_LITERALS - made) {
        return (int) INVALID;
      }
      if (match > allowed - made) {
        return OVER;
      }
      // A match longer than its offset repeats its last `offset` bytes: copy in runs that double, each
      // from bytes already written.
      int from = op - offset;
      for (int left = match; left > 0; ) {
        int n = Math.min(op - from, left);
        System.arraycopy(out, from, out, op, n);
        op += n;
        left -= n;
      }
    }
  }

  /**
   * A length that starts as {@code nibble} and, at 15, goes on in the bytes from {@code ip} up to and
   * including the first that is not 255, summed. Returns the length in the low 32 bits and the
   * position after it in the high ones, or -1 if the input ends first. (A block is at most 4 MiB, so a
   * length stays below 2^31.)
   */
  private static long length(byte[] in, int ip, int inEnd, int nibble) {
    int length = nibble;
    if (nibble == 15) {
      int b;
      do {
        if (ip >= inEnd) {
          return -1;
        }
        b = in[ip++] & 0xff;
        length += b;
      } while (b == 255);
    }
    return (long) ip << 32 | length;
  }

  private static int checksum(byte[] bytes, int length) {
    XXHash32 hash = new XXHash32();
    hash.update(bytes, 0, length);
    return (int) hash.getValue();
  }
}
