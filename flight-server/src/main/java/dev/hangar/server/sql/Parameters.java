package dev.hangar.server.sql;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.util.Text;

/** Prepared-statement parameters: their Arrow types for clients, and Arrow values bound to DuckDB. */
final class Parameters {
  private static final Pattern DECIMAL = Pattern.compile("DECIMAL\\((\\d+),\\s*(\\d+)\\)");

  private Parameters() {}

  /**
   * The Arrow type a client should send for a DuckDB parameter type. Types DuckDB could not infer
   * ({@code SELECT ?}) and types without a simple Arrow form are sent as text, which DuckDB casts.
   */
  static ArrowType arrowType(String duckdbType) {
    String t = duckdbType == null ? "" : duckdbType.toUpperCase(Locale.ROOT);
    Matcher m = DECIMAL.matcher(t);
    if (m.matches()) {
      return new ArrowType.Decimal(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), 128);
    }
    return switch (t) {
      case "BOOLEAN" -> ArrowType.Bool.INSTANCE;
      case "TINYINT" -> new ArrowType.Int(8, true);
      case "SMALLINT" -> new ArrowType.Int(16, true);
      case "INTEGER" -> new ArrowType.Int(32, true);
      case "BIGINT" -> new ArrowType.Int(64, true);
      case "UTINYINT" -> new ArrowType.Int(8, false);
      case "USMALLINT" -> new ArrowType.Int(16, false);
      case "UINTEGER" -> new ArrowType.Int(32, false);
      case "UBIGINT" -> new ArrowType.Int(64, false);
      case "FLOAT" -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
      case "DOUBLE" -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      case "DATE" -> new ArrowType.Date(DateUnit.DAY);
      case "TIMESTAMP" -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
      case "BLOB" -> ArrowType.Binary.INSTANCE;
      default -> ArrowType.Utf8.INSTANCE;
    };
  }

  /** Row {@code row} of a parameter batch, as values DuckDB's JDBC driver binds. */
  static List<Object> row(VectorSchemaRoot root, int row) {
    List<Object> out = new ArrayList<>();
    for (FieldVector v : root.getFieldVectors()) {
      out.add(value(v, row));
    }
    return out;
  }

  private static Object value(FieldVector v, int row) {
    if (v.isNull(row)) {
      return null;
    }
    if (v instanceof DateDayVector d) {
      return LocalDate.ofEpochDay(d.get(row));
    }
    if (v instanceof DateMilliVector d) {
      return LocalDate.ofEpochDay(Math.floorDiv(d.get(row), 86_400_000L));
    }
    Object o = v.getObject(row);
    if (o instanceof Text t) {
      return t.toString();
    }
    if (o instanceof LocalDateTime || o instanceof LocalTime || o instanceof BigDecimal || o instanceof Number
        || o instanceof Boolean || o instanceof byte[] || o instanceof String) {
      return o;
    }
    throw new SqlRejectedException("Cannot bind parameter \"" + v.getName() + "\" of type " + v.getField().getType()
        + ": Hangar binds numbers, text, booleans, dates, timestamps and binary values");
  }
}
