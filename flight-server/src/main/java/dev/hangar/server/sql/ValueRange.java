package dev.hangar.server.sql;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.hangar.storage.FlightLease;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.ipc.DecodingReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Refuses SQL over a flight holding a value that DuckDB cannot carry in the type it reads it as. Three
 * Arrow types are widened on the way into DuckDB or narrowed on the way out, and a value beyond the
 * range that survives both either fails the whole query with an error naming no column ("Conversion
 * Error: Could not convert … to Microsecond", even when the query does not select that column) or,
 * worse, comes back wrapped around:
 *
 * <ul>
 *   <li>a <b>duration</b> is an interval of microseconds in DuckDB and leaves as month_day_nano, in
 *       nanoseconds: its length in nanoseconds must fit 64 bits (about ±292 years). Beyond it, seconds and
 *       milliseconds fail the query (in every slot, nulls too), microseconds come back wrapped (2^62 µs as 0);
 *   <li>a <b>timestamp with a time zone</b> in seconds or milliseconds is a TIMESTAMPTZ of microseconds: its
 *       value in microseconds must fit 64 bits (about ±292,000 years from 1970), or the query fails;
 *   <li>a <b>date64</b> is a DATE of 32-bit days: beyond ±2^31 days (about ±5.9 million years) it comes
 *       back wrapped.
 * </ul>
 *
 * So before a query, those columns of each flight it reads are checked value by value; a flight without
 * such a column is not read. Timestamps without a time zone, nanosecond durations and every other type
 * pass into DuckDB unchanged or within range. A stored copy's messages never change, so each copy is read
 * once and its verdict kept, not read again before every query.
 */
final class ValueRange {
  /** The refusal found in each stored copy, "" if none. Weak keys: a copy that is freed or moved is forgotten. */
  private final Cache<StoredFlight, String> verdicts = Caffeine.newBuilder().weakKeys().maximumSize(10_000).build();

  /**
   * The range of one type ({@code name}): values within ±{@code limit} {@code unit} pass; {@code what} and
   * {@code span} say what SQL makes of it; {@code nullsToo} if DuckDB converts the slots under nulls as well.
   */
  private record Bound(String name, long limit, String unit, String what, String span, boolean nullsToo) {}

  private static Bound boundOf(ArrowType type) {
    if (type instanceof ArrowType.Duration d && d.getUnit() != TimeUnit.NANOSECOND) {
      return new Bound("duration", Long.MAX_VALUE / nanosPer(d.getUnit()), symbol(d.getUnit()), "SQL's intervals", "about 292 years",
          d.getUnit() != TimeUnit.MICROSECOND);
    }
    if (type instanceof ArrowType.Timestamp t && t.getTimezone() != null
        && (t.getUnit() == TimeUnit.SECOND || t.getUnit() == TimeUnit.MILLISECOND)) {
      return new Bound("timestamp", Long.MAX_VALUE / (nanosPer(t.getUnit()) / 1_000), symbol(t.getUnit()) + " from 1970",
          "SQL's timestamps with a time zone", "about 292,000 years", false);
    }
    if (type instanceof ArrowType.Date d && d.getUnit() == DateUnit.MILLISECOND) {
      return new Bound("date64", (1L << 31) * 86_400_000L - 1, "ms from 1970", "SQL's dates", "about 5.9 million years", false);
    }
    return null;
  }

  /** Whether {@code field} or a field below it has a type whose values must be checked. */
  static boolean applies(Field field) {
    return boundOf(field.getType()) != null || field.getChildren().stream().anyMatch(ValueRange::applies);
  }

  /** Throws {@link SqlRejectedException} if the leased flight holds a value out of range (read once per stored copy). */
  void check(FlightLease lease, BufferAllocator allocator) {
    List<Field> fields = lease.summary().schema().javaSchema().getFields();
    if (fields.stream().noneMatch(ValueRange::applies)) {
      return;
    }
    String refusal = verdicts.get(lease.flight(), copy -> {
      try {
        read(lease, fields, allocator);
        return "";
      } catch (SqlRejectedException e) {
        return e.getMessage();
      }
    });
    if (!refusal.isEmpty()) {
      throw new SqlRejectedException(refusal);
    }
  }

  /** Reads the leased flight and throws {@link SqlRejectedException} at its first value out of range. */
  private static void read(FlightLease lease, List<Field> fields, BufferAllocator allocator) {
    Map<Long, Field> dictionaryColumns = new HashMap<>(); // only top-level columns may be dictionaries in SQL
    for (Field f : fields) {
      if (f.getDictionary() != null) {
        dictionaryColumns.put(f.getDictionary().getId(), f); // its type and children are the dictionary's values'
      }
    }
    try (DecodingReader reader = new DecodingReader(allocator, lease.summary().schema(), lease.cursor())) {
      while (reader.loadNextBatch()) {
        List<FieldVector> vectors = reader.getVectorSchemaRoot().getFieldVectors();
        for (int i = 0; i < vectors.size(); i++) {
          if (fields.get(i).getDictionary() == null) { // a dictionary column's vector holds indices
            check(lease, vectors.get(i), fields.get(i), fields.get(i).getName());
          }
        }
        for (Dictionary d : reader.getDictionaryVectors().values()) { // the values the batch's indices point at
          Field column = dictionaryColumns.get(d.getEncoding().getId());
          if (column != null) {
            check(lease, d.getVector(), column, column.getName());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Checks vector {@code v} and the vectors below it; {@code field} is its field in the flight's schema
   * (Arrow Java renames some child vectors, "$data$" for a list's values), {@code column} its name so far.
   */
  private static void check(FlightLease lease, FieldVector v, Field field, String column) {
    Bound bound = boundOf(field.getType());
    if (bound != null && v instanceof BaseFixedWidthVector fixed) {
      for (int i = 0; i < fixed.getValueCount(); i++) {
        long value = fixed.getDataBuffer().getLong((long) i * Long.BYTES);
        if ((value > bound.limit() || value < -bound.limit()) && (bound.nullsToo() || !fixed.isNull(i))) {
          throw new SqlRejectedException("Cannot run the query over flight \"" + lease.summary().path() + "\": column \"" + column
              + "\" holds the " + bound.name() + " " + value + " " + bound.unit()
              + (fixed.isNull(i) ? " under a null (DuckDB converts those too)" : "") + ", beyond the ±" + bound.limit() + " "
              + bound.unit() + " (" + bound.span() + ") that " + bound.what() + " carry"
              + " (the flight is stored and served as sent; only SQL over it is refused)");
        }
      }
    }
    List<FieldVector> children = v.getChildrenFromFields();
    for (int i = 0; i < children.size() && i < field.getChildren().size(); i++) {
      Field child = field.getChildren().get(i);
      check(lease, children.get(i), child, column + "." + child.getName());
    }
  }

  private static long nanosPer(TimeUnit unit) {
    return switch (unit) {
      case SECOND -> 1_000_000_000L;
      case MILLISECOND -> 1_000_000L;
      case MICROSECOND -> 1_000L;
      case NANOSECOND -> 1L;
    };
  }

  private static String symbol(TimeUnit unit) {
    return switch (unit) {
      case SECOND -> "s";
      case MILLISECOND -> "ms";
      case MICROSECOND -> "µs";
      case NANOSECOND -> "ns";
    };
  }
}
