package dev.hangar.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints byte sizes written as {@code 512}, {@code 64KiB}, {@code 256MiB}, {@code 2GiB}, {@code 1TiB}. */
public final class Sizes {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB)?");
  private static final String[] UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

  private Sizes() {}

  /**
   * Returns the number of bytes {@code text} names.
   *
   * @throws IllegalArgumentException if it is not a size, or does not fit in a long
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a size (use bytes or a binary unit, e.g. 512, 64KiB, 256MiB, 2GiB, 1TiB)");
    }
    int shift = m.group(2) == null ? 0 : 10 * indexOf(m.group(2));
    try {
      long number = Long.parseLong(m.group(1));
      if (number > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return number << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + text + "\" is too large a size (at most 8191PiB)");
    }
  }

  /** Prints {@code bytes} in the largest binary unit that keeps one decimal of precision, e.g. {@code 1.5GiB}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + "B";
    }
    int unit = 0;
    double value = bytes;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    String number =
        value == Math.rint(value)
            ? Long.toString((long) value)
            : String.format(Locale.ROOT, "%.1f", value);
    return number + UNITS[unit];
  }

  private static int indexOf(String unit) {
    for (int i = 0; i < UNITS.length; i++) {
      if (UNITS[i].equals(unit)) {
        return i;
      }
    }
    throw new AssertionError(unit);
  }
}
