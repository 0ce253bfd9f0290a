package dev.hangar.config;

/** Argument checks for records built outside the YAML parser (which reports with YAML paths). */
final class Checks {
  private Checks() {}

  static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, format, args));
    }
  }
}
