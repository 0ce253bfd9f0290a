package dev.hangar.tiers.ipc;

import java.math.BigInteger;
import java.nio.ByteBuffer;

/**
 * What a dictionary batch's body must also satisfy, beyond a record batch's: Arrow C++ validates a
 * dictionary fully when a delta extends it (pyarrow refuses the whole stream otherwise: "Offset invariant
 * failure", "Invalid UTF8 sequence", "Decimal value … does not fit in precision"), and since any dictionary
 * may be extended later, Hangar checks every dictionary batch that way before it is stored. Each check
 * reads buffers by their index in the message ({@link Buffers}); the message validator builds them as it
 * walks a dictionary's columns (buffer indices and lengths known from the header).
 *
 * <p>Checked: every offset of binary, string, list and map values (they only grow and stay inside their
 * data or child); every string is UTF-8, nested ones included; list views lie inside their child; binary
 * and string views point inside their data buffers and carry their own prefix; run ends only grow; a
 * decimal's valid values fit its precision; a time's lie within a day, a date64's are whole days; a map's
 * keys have no nulls (checked from the header); a column's declared null count is its bitmap's; a union's
 * type codes are its types', and a dense union's offsets lie inside the child each points into.
 */
public final class DictionaryChecks {
  private DictionaryChecks() {}

  /** A message's buffers, uncompressed, by index. */
  public interface Buffers {
    ByteBuffer get(int index);
  }

  /** One check over a dictionary body's buffers; throws {@link InvalidMessageException}. */
  public interface Check {
    void run(Buffers buffers, int message);
  }

  /**
   * Every offset of {@code count + 1} from buffer {@code offsets} grows and lies in [0, limit]; with {@code utf8},
   * UTF-8 between them. A column of no values may send one offset, or none; one is checked too (Arrow C++
   * refuses a first offset below 0 even then: "array starts at negative offset").
   */
  static Check offsets(String column, int offsets, int width, long count, int dataBuffer, long childLength, boolean utf8) {
    return (b, message) -> {
      ByteBuffer o = b.get(offsets);
      if (count == 0 && o.limit() < width) {
        return; // no values, and no offset either
      }
      ByteBuffer data = dataBuffer >= 0 ? b.get(dataBuffer) : null;
      long limit = data != null ? data.limit() : childLength;
      long previous = at(o, 0, width);
      if (previous < 0 || previous > limit) {
        throw BodyChecker.bad(message, "dictionary column \"%s\" has a first offset %d outside [0, %d]", column, previous, limit);
      }
      for (long i = 1; i <= count; i++) {
        long next = at(o, i, width);
        if (next < previous || next > limit) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has an offset %d at value %d after %d (offsets must grow, up to %d)",
              column, next, i - 1, previous, limit);
        }
        if (utf8 && !BodyChecker.utf8(data, (int) previous, (int) next)) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has a value that is not UTF-8 at index %d", column, i - 1);
        }
        previous = next;
      }
    };
  }

  /** The validity bitmap in buffer {@code validity} marks exactly {@code nulls} of its first {@code count} values null. */
  static Check nullCount(String column, int validity, long count, long nulls) {
    return (b, message) -> {
      ByteBuffer v = b.get(validity);
      long set = 0;
      for (long i = 0; i < count; i++) {
        set += (v.get((int) (i >>> 3)) >>> (i & 7)) & 1;
      }
      if (count - set != nulls) {
        throw BodyChecker.bad(message, "dictionary column \"%s\" declares %d nulls, but its validity bitmap has %d", column, nulls,
            count - set);
      }
    };
  }

  /**
   * Each of the {@code count} type codes (buffer {@code typeIds}) is one of {@code codes}, and with {@code offsets}
   * (a dense union's) each offset lies inside the child its code names ({@code childLengths}, child by child).
   */
  static Check unions(String column, int typeIds, int offsets, long count, java.util.List<Integer> codes, long[] childLengths) {
    int[] childOf = new int[128];
    java.util.Arrays.fill(childOf, -1);
    for (int k = 0; k < codes.size(); k++) {
      childOf[codes.get(k)] = k;
    }
    return (b, message) -> {
      ByteBuffer t = b.get(typeIds);
      ByteBuffer o = offsets >= 0 ? b.get(offsets) : null;
      for (long i = 0; i < count; i++) {
        int code = t.get((int) i);
        int child = code >= 0 ? childOf[code] : -1;
        if (child < 0) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has the union type code %d at index %d, none of its types' %s",
              column, code, i, codes);
        }
        if (o != null) {
          int offset = o.getInt((int) (4 * i));
          if (offset < 0 || offset >= childLengths[child]) {
            throw BodyChecker.bad(message, "dictionary column \"%s\" has the dense union offset %d at index %d, outside the %d values"
                + " of its child %d", column, offset, i, childLengths[child], child);
          }
        }
      }
    };
  }

  /** Each valid list view of {@code count} (offsets and sizes of {@code width} bytes) lies inside the child's values. */
  static Check listViews(String column, int validity, int offsets, int sizes, int width, long count, long childLength) {
    return (b, message) -> {
      ByteBuffer v = validity < 0 ? null : b.get(validity);
      ByteBuffer o = b.get(offsets);
      ByteBuffer s = b.get(sizes);
      for (long i = 0; i < count; i++) {
        if (!valid(v, i)) {
          continue;
        }
        long offset = at(o, i, width);
        long size = at(s, i, width);
        if (offset < 0 || size < 0 || size > childLength - offset) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has a list view at %d of %d values, outside its %d child values",
              column, offset, size, childLength);
        }
      }
    };
  }

  /** Each valid view of {@code count} points inside one of the {@code dataBuffers} data buffers after {@code views}. */
  static Check views(String column, int validity, int views, long count, int dataBuffers, boolean utf8) {
    return (b, message) -> {
      ByteBuffer v = validity < 0 ? null : b.get(validity);
      ByteBuffer w = b.get(views);
      for (long i = 0; i < count; i++) {
        if (!valid(v, i)) {
          continue;
        }
        int at = (int) (16 * i);
        int size = w.getInt(at);
        if (size < 0) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has a view of negative size %d at index %d", column, size, i);
        }
        if (size <= 12) {
          if (utf8 && !BodyChecker.utf8(w, at + 4, at + 4 + size)) {
            throw BodyChecker.bad(message, "dictionary column \"%s\" has a value that is not UTF-8 at index %d", column, i);
          }
          continue;
        }
        int index = w.getInt(at + 8);
        int offset = w.getInt(at + 12);
        ByteBuffer data = index >= 0 && index < dataBuffers ? b.get(views + 1 + index) : null;
        if (data == null || offset < 0 || size > data.limit() - offset) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has a view at index %d outside its data buffers", column, i);
        }
        for (int k = 0; k < 4; k++) {
          if (w.get(at + 4 + k) != data.get(offset + k)) {
            throw BodyChecker.bad(message, "dictionary column \"%s\" has a view at index %d whose prefix is not its value's", column, i);
          }
        }
        if (utf8 && !BodyChecker.utf8(data, offset, offset + size)) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has a value that is not UTF-8 at index %d", column, i);
        }
      }
    };
  }

  /** The {@code count} run ends (of {@code width} bytes) are positive, grow strictly and reach {@code length}. */
  static Check runEnds(String column, int runEnds, int width, long count, long length) {
    return (b, message) -> {
      ByteBuffer r = b.get(runEnds);
      long previous = 0;
      for (long i = 0; i < count; i++) {
        long end = at(r, i, width);
        if (end <= previous) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has run end %d at %d, not greater than the one before", column, end, i);
        }
        previous = end;
      }
      if (length > 0 && previous < length) {
        throw BodyChecker.bad(message, "dictionary column \"%s\" has runs ending at %d, short of its %d values", column, previous, length);
      }
    };
  }

  /** Each valid decimal of {@code count} ({@code bits} wide) has at most {@code precision} digits. */
  static Check decimals(String column, int validity, int values, int bits, long count, int precision) {
    BigInteger bound = BigInteger.TEN.pow(precision);
    return (b, message) -> {
      ByteBuffer v = validity < 0 ? null : b.get(validity);
      ByteBuffer d = b.get(values);
      int bytes = bits / 8;
      byte[] big = new byte[bytes];
      for (long i = 0; i < count; i++) {
        if (!valid(v, i)) {
          continue;
        }
        for (int k = 0; k < bytes; k++) {
          big[bytes - 1 - k] = d.get((int) (i * bytes) + k); // little-endian in Arrow, big-endian for BigInteger
        }
        BigInteger value = new BigInteger(big);
        if (value.abs().compareTo(bound) >= 0) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has the decimal %s at index %d, more digits than its precision %d",
              column, value, i, precision);
        }
      }
    };
  }

  /** Each valid time of {@code count} ({@code width} bytes, of type {@code type}) lies within a day: [0, {@code day}). */
  static Check timesOfDay(String column, String type, int validity, int values, int width, long count, long day) {
    return eachValid(column, type, validity, values, width, count, t -> t >= 0 && t < day, "outside a day [0, " + day + ")");
  }

  /** Each valid date64 of {@code count} is a whole number of days. */
  static Check wholeDays(String column, int validity, int values, long count) {
    return eachValid(column, "date64", validity, values, 8, count, d -> d % 86_400_000 == 0, "not a whole number of days");
  }

  private static Check eachValid(String column, String type, int validity, int values, int width, long count,
      java.util.function.LongPredicate ok, String otherwise) {
    return (b, message) -> {
      ByteBuffer v = validity < 0 ? null : b.get(validity);
      ByteBuffer d = b.get(values);
      for (long i = 0; i < count; i++) {
        long value = at(d, i, width);
        if (valid(v, i) && !ok.test(value)) {
          throw BodyChecker.bad(message, "dictionary column \"%s\" has the %s %d at index %d, %s", column, type, value, i, otherwise);
        }
      }
    };
  }

  private static long at(ByteBuffer b, long i, int width) {
    return width == 4 ? b.getInt((int) (4 * i)) : b.getLong((int) (8 * i));
  }

  /**
   * Whether value {@code i} is valid. {@code validity} is null where the column has no nulls: Arrow's
   * readers then ignore the bitmap, whatever it holds, and so does this check.
   */
  private static boolean valid(ByteBuffer validity, long i) {
    return validity == null || (validity.get((int) (i >>> 3)) & (1 << (i & 7))) != 0;
  }
}
