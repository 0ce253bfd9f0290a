package dev.hangar.storage.expiry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * Paths with a time at which a rule may apply to them (expiry, or a move down), in time order, so
 * a sweep costs O(due) rather than O(flights). An entry is a hint: the rule checks the path's
 * catalog entry when it comes due, and a path whose time changed (renewed, read again, replaced)
 * is simply scheduled again at its new time, the old hint being skipped when it comes up.
 */
public final class DueQueue {
  private record Due(long at, String path) {}

  private static final Comparator<Due> ORDER = Comparator.comparingLong(Due::at).thenComparing(Due::path);

  private final ConcurrentSkipListSet<Due> due = new ConcurrentSkipListSet<>(ORDER);

  public void schedule(Instant at, String path) {
    due.add(new Due(at.toEpochMilli(), path));
  }

  /** Takes out the paths due at or before {@code now}, earliest first. */
  public List<String> pollDue(Instant now) {
    long limit = now.toEpochMilli();
    List<String> out = new ArrayList<>();
    for (Due first; (first = due.pollFirst()) != null; ) {
      if (first.at() > limit) {
        due.add(first);
        break;
      }
      out.add(first.path());
    }
    return out;
  }

  public int size() {
    return due.size();
  }
}
