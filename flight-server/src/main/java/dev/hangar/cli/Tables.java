package dev.hangar.cli;

import java.io.PrintWriter;
import java.util.List;

/** Plain-text tables for people: columns padded to their widest cell, numbers right-aligned. */
final class Tables {
  private Tables() {}

  static void print(PrintWriter out, List<String> header, List<List<String>> rows) {
    int[] width = new int[header.size()];
    boolean[] numeric = new boolean[header.size()];
    java.util.Arrays.fill(numeric, !rows.isEmpty());
    for (int i = 0; i < header.size(); i++) {
      width[i] = header.get(i).length();
    }
    for (List<String> r : rows) {
      for (int i = 0; i < r.size(); i++) {
        width[i] = Math.max(width[i], r.get(i).length());
        numeric[i] &= r.get(i).matches("-?[0-9][0-9.,]*( [KMGT]?i?B)?|-");
      }
    }
    line(out, header, width, new boolean[header.size()]);
    StringBuilder rule = new StringBuilder();
    for (int i = 0; i < width.length; i++) {
      rule.append(i > 0 ? "  " : "").append("-".repeat(width[i]));
    }
    out.println(rule);
    for (List<String> r : rows) {
      line(out, r, width, numeric);
    }
  }

  private static void line(PrintWriter out, List<String> cells, int[] width, boolean[] right) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      String pad = " ".repeat(width[i] - c.length());
      b.append(i > 0 ? "  " : "").append(right[i] ? pad + c : c + (i < cells.size() - 1 ? pad : ""));
    }
    out.println(b);
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
