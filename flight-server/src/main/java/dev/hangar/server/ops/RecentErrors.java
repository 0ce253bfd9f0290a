package dev.hangar.server.ops;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Calls that ended in an error, by kind (their status code), and the last few, for the status page. */
public final class RecentErrors {
  private static final int KEEP = 20;

  /** One failed call. */
  public record Failure(Instant at, String method, String code, String message) {}

  private final Map<String, Long> counts = new TreeMap<>();
  private final ArrayDeque<Failure> last = new ArrayDeque<>();

  public synchronized void record(String method, String code, String message) {
    counts.merge(code, 1L, Long::sum);
    String m = message == null ? "" : message.length() > 300 ? message.substring(0, 300) + "…" : message;
    last.addFirst(new Failure(Instant.now(), method, code, m));
    while (last.size() > KEEP) {
      last.removeLast();
    }
  }

  public synchronized Map<String, Long> counts() {
    return new LinkedHashMap<>(counts);
  }

  public synchronized List<Failure> last() {
    return new ArrayList<>(last);
  }
}
