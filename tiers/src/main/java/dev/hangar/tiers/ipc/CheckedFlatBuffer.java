package dev.hangar.tiers.ipc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a flatbuffer that came from a client, checking every offset, length and alignment the way
 * flatbuffers' C++ {@code Verifier} does (Arrow C++ and pyarrow verify every message they read), so
 * that a header Hangar accepts is one any Arrow reader accepts, and a malformed one is an {@link
 * InvalidMessageException} rather than an exception from deep inside a generated accessor. Only the
 * field offsets of every table visited are checked; a field's contents only when it is read, so callers
 * read every field the C++ verifier would (each one Arrow's schema defines).
 *
 * <p>Positions are absolute indexes into the buffer; a table is addressed by its position.
 */
final class CheckedFlatBuffer {
  private static final int[] NONE = new int[0];

  private final ByteBuffer bb;
  private final int limit;
  private final String what;
  private int tables;
  private int[] notUtf8 = NONE; // see notUtf8()
  private int notUtf8Count;

  /** Tables a buffer of {@code n} bytes may hold: Arrow C++ passes {@code 8 * size} to its verifier. */
  private final int maxTables;

  CheckedFlatBuffer(byte[] bytes, String what) {
    this.bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    this.limit = bytes.length;
    this.what = what;
    this.maxTables = Math.max(16, 8 * bytes.length);
  }

  InvalidMessageException bad(String format, Object... args) {
    return new InvalidMessageException(what + ": " + String.format(format, args));
  }

  private void check(int pos, int size, int align) {
    if (pos < 0 || size < 0 || pos > limit - size) {
      throw bad("the flatbuffer points outside itself (offset %d, %d bytes, buffer of %d)", pos, size, limit);
    }
    if ((pos & (align - 1)) != 0) {
      throw bad("the flatbuffer is misaligned (offset %d is not %d-aligned)", pos, align);
    }
  }

  private int u16(int pos) {
    check(pos, 2, 2);
    return bb.getShort(pos) & 0xFFFF;
  }

  private int i32(int pos) {
    check(pos, 4, 4);
    return bb.getInt(pos);
  }

  /** The root table. */
  int root() {
    if (limit < 8) {
      throw bad("a flatbuffer needs at least 8 bytes, got %d", limit);
    }
    return table(deref(0));
  }

  /** Follows the unsigned offset stored at {@code pos}. */
  private int deref(int pos) {
    int offset = i32(pos);
    if (offset <= 0) {
      // The C++ verifier refuses these too: a zero offset points at itself, a negative one backwards.
      throw bad("the flatbuffer has an invalid offset %d at %d", offset & 0xFFFFFFFFL, pos);
    }
    long target = (long) pos + offset;
    if (target >= limit) {
      throw bad("the flatbuffer points outside itself (offset %d, buffer of %d)", target, limit);
    }
    return (int) target;
  }

  /** Checks the table at {@code pos} and its vtable; returns {@code pos}. */
  int table(int pos) {
    if (++tables > maxTables) {
      throw bad("the flatbuffer has too many tables (it may loop)");
    }
    check(pos, 4, 4);
    long vt = (long) pos - bb.getInt(pos);
    if (vt < 0 || vt >= limit) {
      throw bad("a table's vtable lies outside the flatbuffer");
    }
    int vtable = (int) vt;
    int vtSize = u16(vtable);
    if (vtSize < 4 || (vtSize & 1) != 0) {
      throw bad("a vtable has an invalid size %d", vtSize);
    }
    check(vtable, vtSize, 2);
    int objSize = u16(vtable + 2);
    check(pos, objSize, 4);
    // Builders place every field inside its table; a field pointing past the table's end is what a
    // flipped bit in a vtable looks like, even for fields Hangar never reads (C++ verifies them all).
    for (int entry = 4; entry < vtSize; entry += 2) {
      int off = bb.getShort(vtable + entry) & 0xFFFF;
      if (off != 0 && (off < 4 || off >= objSize)) {
        throw bad("a table field lies outside its table");
      }
    }
    return pos;
  }

  /** The position of field {@code index} of the table at {@code table}, or -1 if it is absent. */
  private int field(int table, int index, int size) {
    int vtable = table - bb.getInt(table);
    int vtSize = bb.getShort(vtable) & 0xFFFF;
    int entry = 4 + 2 * index;
    if (entry >= vtSize) {
      return -1;
    }
    int off = bb.getShort(vtable + entry) & 0xFFFF;
    if (off == 0) {
      return -1;
    }
    int objSize = bb.getShort(vtable + 2) & 0xFFFF;
    if (off + size > objSize) {
      throw bad("a table field lies outside its table");
    }
    int pos = table + off;
    check(pos, size, Math.min(size, 8));
    return pos;
  }

  boolean has(int table, int index) {
    int vtable = table - bb.getInt(table);
    int vtSize = bb.getShort(vtable) & 0xFFFF;
    int entry = 4 + 2 * index;
    return entry < vtSize && (bb.getShort(vtable + entry) & 0xFFFF) != 0;
  }

  int u8(int table, int index, int dflt) {
    int p = field(table, index, 1);
    return p < 0 ? dflt : bb.get(p) & 0xFF;
  }

  boolean bool(int table, int index, boolean dflt) {
    int p = field(table, index, 1);
    return p < 0 ? dflt : bb.get(p) != 0;
  }

  int i16(int table, int index, int dflt) {
    int p = field(table, index, 2);
    return p < 0 ? dflt : bb.getShort(p);
  }

  int i32(int table, int index, int dflt) {
    int p = field(table, index, 4);
    return p < 0 ? dflt : bb.getInt(p);
  }

  long i64(int table, int index, long dflt) {
    int p = field(table, index, 8);
    return p < 0 ? dflt : bb.getLong(p);
  }

  /** The table that field {@code index} refers to, or -1 if absent. */
  int subTable(int table, int index) {
    int p = field(table, index, 4);
    return p < 0 ? -1 : table(deref(p));
  }

  /**
   * The position of the first element of the vector in field {@code index}, its length at {@code
   * position - 4}; -1 if absent. Checks that {@code length * elementSize} bytes follow.
   */
  int vector(int table, int index, int elementSize, int align) {
    int p = field(table, index, 4);
    if (p < 0) {
      return -1;
    }
    int start = deref(p);
    check(start, 4, 4);
    long n = bb.getInt(start) & 0xFFFFFFFFL;
    int data = start + 4;
    if (n * elementSize > limit - data) {
      throw bad("a vector of %d elements does not fit in the flatbuffer", n);
    }
    if (n > 0) {
      check(data, (int) (n * elementSize), align);
    }
    return data;
  }

  int vectorLength(int data) {
    return data < 0 ? 0 : bb.getInt(data - 4);
  }

  /** The table at element {@code i} of a vector of tables starting at {@code data}. */
  int tableAt(int data, int i) {
    return table(deref(data + 4 * i));
  }

  /** The int at {@code pos} inside a vector {@link #vector} checked. */
  int intAt(int pos) {
    return bb.getInt(pos);
  }

  long longAt(int pos) {
    return bb.getLong(pos);
  }

  /** The string in field {@code index} (UTF-8, zero-terminated as flatbuffers requires), or null. */
  String string(int table, int index) {
    return string(table, index, true);
  }

  /**
   * As {@link #string}, for a custom_metadata key or value: Arrow C++ writes and reads those as bytes
   * (pyarrow takes {@code bytes} for both, and an extension type serializes itself to any bytes), and
   * the flatbuffers verifier checks a string's bounds and terminator, not its encoding. Bytes that are
   * not UTF-8 are decoded with U+FFFD in their place, for comparison only; the message keeps its bytes.
   */
  String metadataString(int table, int index) {
    return string(table, index, false);
  }

  /**
   * The strings read by {@link #metadataString} that are not UTF-8, as {@code [start, length]} pairs of
   * positions in the buffer; empty if every one was.
   */
  int[] notUtf8() {
    return notUtf8Count == 0 ? NONE : java.util.Arrays.copyOf(notUtf8, notUtf8Count);
  }

  private String string(int table, int index, boolean strict) {
    int p = field(table, index, 4);
    if (p < 0) {
      return null;
    }
    int start = deref(p);
    check(start, 4, 4);
    long n = bb.getInt(start) & 0xFFFFFFFFL;
    if (n + 1 > limit - start - 4) {
      throw bad("a string of %d bytes does not fit in the flatbuffer", n);
    }
    int data = start + 4;
    if (bb.get(data + (int) n) != 0) {
      throw bad("a string is not zero-terminated");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bb.duplicate().position(data).limit(data + (int) n))
          .toString();
    } catch (CharacterCodingException e) {
      if (strict) {
        throw bad("a string is not valid UTF-8");
      }
      if (notUtf8Count + 2 > notUtf8.length) {
        notUtf8 = java.util.Arrays.copyOf(notUtf8, Math.max(8, 2 * notUtf8.length));
      }
      notUtf8[notUtf8Count++] = data;
      notUtf8[notUtf8Count++] = (int) n;
      return new String(bb.array(), data, (int) n, StandardCharsets.UTF_8); // U+FFFD for what is not UTF-8
    }
  }
}
