package dev.hangar.server.sql;

import dev.hangar.storage.FlightLease;
import dev.hangar.tiers.ipc.DecodingReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Refuses SQL over a flight holding a duration that DuckDB cannot carry. DuckDB reads an Arrow duration
 * as an interval of whole microseconds and writes intervals back as Arrow's month_day_nano, in
 * nanoseconds. A duration whose length in nanoseconds does not fit 64 bits (beyond about ±292 years)
 * either fails the whole query with an error naming no column (seconds and milliseconds: "Could not
 * convert Interval to Microsecond", even when the query does not select that column) or, worse, comes
 * back wrapped around (microseconds: 2^62 µs answers 0). So before a query, the duration columns in
 * seconds, milliseconds and microseconds of each flight it reads are checked value by value; a flight
 * without such a column is not read.
 */
final class DurationRange {
  private DurationRange() {}

  /** Whether {@code field} or a field below it is a duration coarser than nanoseconds. */
  static boolean applies(Field field) {
    if (field.getType() instanceof ArrowType.Duration d && d.getUnit() != TimeUnit.NANOSECOND) {
      return true;
    }
    return field.getChildren().stream().anyMatch(DurationRange::applies);
  }

  /** Reads the leased flight and throws {@link SqlRejectedException} at its first duration out of range. */
  static void check(FlightLease lease, BufferAllocator allocator) {
    if (lease.summary().schema().javaSchema().getFields().stream().noneMatch(DurationRange::applies)) {
      return;
    }
    List<Field> fields = lease.summary().schema().javaSchema().getFields();
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
          check(lease, vectors.get(i), fields.get(i), fields.get(i).getName());
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
   * DuckDB converts a slot in seconds or milliseconds whether or not it is null, so those units are checked
   * in every slot; microseconds are converted only on the way out, where nulls are skipped.
   */
  private static void check(FlightLease lease, FieldVector v, Field field, String column) {
    if (v instanceof DurationVector d) {
      TimeUnit unit = ((ArrowType.Duration) field.getType()).getUnit();
      long limit = Long.MAX_VALUE / nanosPer(unit);
      boolean nullsToo = unit != TimeUnit.MICROSECOND;
      for (int i = 0; i < d.getValueCount(); i++) {
        long value = d.getDataBuffer().getLong((long) i * DurationVector.TYPE_WIDTH);
        if ((value > limit || value < -limit) && (nullsToo || !d.isNull(i))) {
          throw new SqlRejectedException("Cannot run the query over flight \"" + lease.summary().path() + "\": column \"" + column
              + "\" holds the duration " + value + " " + symbol(unit) + (d.isNull(i) ? " under a null (DuckDB converts those too)" : "")
              + ", beyond the ±" + limit + " " + symbol(unit) + " (about 292 years) that SQL's intervals carry"
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
