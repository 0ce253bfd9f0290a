package dev.hangar.tiers.ipc;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A flight's schema as its client sent it: the IPC schema message's flatbuffer bytes, kept and
 * served unchanged, plus Hangar's own reading of its columns (checked, and enough to validate the
 * batches that follow). Arrow Java's {@link Schema} is derived only on demand ({@link #javaSchema()}),
 * since some legal schemas (decimal32, decimal64, …) have none.
 */
public final class FlightSchema {
  /** Columns nested deeper than this are refused: Arrow C++ verifies flatbuffers to depth 128. */
  public static final int MAX_DEPTH = 48;
  /** Columns, counting nested ones, a schema may have. */
  public static final int MAX_COLUMNS = 100_000;

  /** One column (field) of the schema, as validation sees it. */
  public record Column(
      String name,
      ArrowType type,
      String typeName,
      List<Column> children,
      long dictionaryId, // -1 unless dictionary-encoded; then type/children are the dictionary's values
      int indexBits, // bits per dictionary index, if dictionary-encoded
      int valueBits, // bits per value of a fixed-width type; 0 otherwise
      boolean denseUnion,
      int listSize,
      List<Integer> unionTypeCodes) { // a union's, child by child (0..n-1 unless its type says otherwise); empty otherwise
    boolean dictionaryEncoded() {
      return dictionaryId >= 0;
    }
  }

  private final byte[] message;
  private final int schemaTable; // position of the Schema table inside message
  private final byte[] appMetadata;
  private final List<Column> columns;
  private final Map<Long, Column> dictionaries;
  private final int[] notUtf8; // custom_metadata strings in message that are not UTF-8: [start, length] pairs
  private volatile Schema javaSchema;
  private volatile ByteBuffer framed; // ipcMessage(), built when first asked (a listing asks once per flight)

  private FlightSchema(byte[] message, int schemaTable, byte[] appMetadata, List<Column> columns, Map<Long, Column> dictionaries,
      int[] notUtf8) {
    this.message = message;
    this.notUtf8 = notUtf8;
    this.schemaTable = schemaTable;
    this.appMetadata = appMetadata;
    this.columns = columns;
    this.dictionaries = dictionaries;
  }

  /**
   * Reads and checks a schema message's flatbuffer. {@code appMetadata} is the app_metadata that came
   * with it (null if none).
   *
   * @throws InvalidMessageException naming what is wrong
   */
  public static FlightSchema parse(byte[] message, byte[] appMetadata) {
    if (appMetadata != null) {
      return parseNew(message, appMetadata);
    }
    // Clients put many flights of one schema (a dashboard's tiles, a loader's partitions): those share
    // one parsed, immutable schema, so that each flight does not keep its own copy of the same columns.
    ByteBuffer key = ByteBuffer.wrap(message);
    FlightSchema known = RECENT.get(key);
    if (known != null) {
      return known;
    }
    FlightSchema parsed = parseNew(message, null);
    if (RECENT.size() >= RECENT_MAX) {
      RECENT.clear();
    }
    RECENT.put(key, parsed);
    return parsed;
  }

  /** Schemas recently parsed, by their message bytes; bounded by clearing it when full. */
  private static final java.util.concurrent.ConcurrentHashMap<ByteBuffer, FlightSchema> RECENT =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final int RECENT_MAX = 4096;

  private static FlightSchema parseNew(byte[] message, byte[] appMetadata) {
    CheckedFlatBuffer fb = new CheckedFlatBuffer(message, "message 0 (schema)");
    int msg = fb.root();
    Messages.checkVersion(fb, msg);
    int headerType = fb.u8(msg, 1, 0);
    if (headerType != Messages.HEADER_SCHEMA) {
      throw new InvalidMessageException("message 0 is a " + Messages.headerName(headerType)
          + ", but a flight must start with its schema");
    }
    if (fb.i64(msg, 3, 0) != 0) {
      throw fb.bad("a schema message has no body, but its header declares %d bytes", fb.i64(msg, 3, 0));
    }
    Messages.checkKeyValues(fb, msg, 4);
    int schema = fb.subTable(msg, 2);
    if (schema < 0) {
      throw fb.bad("the schema message has no schema");
    }
    if (fb.i16(schema, 0, 0) != 0) {
      throw fb.bad("the schema is big-endian; Hangar stores little-endian Arrow data only (send it from a little-endian machine)");
    }
    Messages.checkKeyValues(fb, schema, 2);
    fb.vector(schema, 3, 8, 8); // features
    Map<Long, Column> dictionaries = new HashMap<>();
    int[] count = {0};
    int fields = fb.vector(schema, 1, 4, 4);
    if (fields < 0) {
      throw fb.bad("the schema has no fields vector (a schema of no columns has an empty one; Arrow C++ readers require it)");
    }
    List<Column> columns = columns(fb, fields, 1, dictionaries, count, "");
    return new FlightSchema(message, schema, appMetadata, columns, Collections.unmodifiableMap(dictionaries), fb.notUtf8());
  }

  private static List<Column> columns(CheckedFlatBuffer fb, int vector, int depth, Map<Long, Column> dictionaries, int[] count,
      String parent) {
    int n = fb.vectorLength(vector);
    if (n == 0) {
      return List.of();
    }
    if (depth > MAX_DEPTH) {
      throw fb.bad("column %s is nested more than %d levels deep", parent, MAX_DEPTH);
    }
    List<Column> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      if (++count[0] > MAX_COLUMNS) {
        throw fb.bad("the schema has more than %d columns (nested ones included)", MAX_COLUMNS);
      }
      out.add(column(fb, fb.tableAt(vector, i), depth, dictionaries, count, parent));
    }
    return List.copyOf(out);
  }

  private static Column column(CheckedFlatBuffer fb, int field, int depth, Map<Long, Column> dictionaries, int[] count, String parent) {
    String name = fb.string(field, 0);
    name = name == null ? "" : name;
    String qualified = parent.isEmpty() ? "\"" + name + "\"" : parent.substring(0, parent.length() - 1) + "." + name + "\"";
    int typeId = fb.u8(field, 2, 0);
    ArrowType type = ArrowType.of(typeId);
    if (type == null) {
      throw fb.bad("column %s has an unknown type (id %d)", qualified, typeId);
    }
    int t = fb.subTable(field, 3);
    if (t < 0) {
      throw fb.bad("column %s has no type table", qualified);
    }
    String[] extension = Messages.extension(fb, field, 6);
    fb.bool(field, 1, false); // nullable: read for its checks only (Arrow data carries validity itself)
    int bits = 0;
    boolean dense = false;
    int listSize = 0;
    int unionTypeIds = -1;
    String typeName;
    switch (type) {
      case INT -> {
        bits = fb.i32(t, 0, 0);
        checkBits(fb, qualified, bits, 8, 16, 32, 64);
        typeName = (fb.bool(t, 1, false) ? "int" : "uint") + bits;
      }
      case FLOATING_POINT -> {
        int precision = fb.i16(t, 0, 0);
        bits = switch (precision) {
          case 0 -> 16;
          case 1 -> 32;
          case 2 -> 64;
          default -> throw fb.bad("column %s has an unknown floating point precision %d", qualified, precision);
        };
        typeName = "float" + bits;
      }
      case DECIMAL -> {
        bits = fb.i32(t, 2, 128);
        checkBits(fb, qualified, bits, 32, 64, 128, 256);
        int precision = fb.i32(t, 0, 0);
        int maxPrecision = bits == 32 ? 9 : bits == 64 ? 18 : bits == 128 ? 38 : 76;
        if (precision < 1 || precision > maxPrecision) {
          throw fb.bad("column %s is a decimal%d of precision %d (decimal%d holds 1 to %d digits)", qualified, bits, precision, bits,
              maxPrecision);
        }
        typeName = "decimal" + bits + "(" + precision + ", " + fb.i32(t, 1, 0) + ")";
      }
      case DATE -> {
        int unit = fb.i16(t, 0, 1);
        bits = unit == 0 ? 32 : unit == 1 ? 64 : 0;
        checkBits(fb, qualified, bits, 32, 64);
        typeName = "date" + bits;
      }
      case TIME -> {
        bits = fb.i32(t, 1, 32);
        checkBits(fb, qualified, bits, 32, 64);
        int unit = fb.i16(t, 0, 1);
        checkUnit(fb, qualified, unit);
        if (bits != (unit <= 1 ? 32 : 64)) {
          throw fb.bad("column %s is a time%d in %s, but times in seconds and milliseconds are 32 bits, in micro- and nanoseconds 64",
              qualified, bits, new String[] {"seconds", "milliseconds", "microseconds", "nanoseconds"}[unit]);
        }
        typeName = "time" + bits + "[" + new String[] {"s", "ms", "us", "ns"}[unit] + "]";
      }
      case TIMESTAMP -> {
        bits = 64;
        checkUnit(fb, qualified, fb.i16(t, 0, 0));
        String zone = fb.string(t, 1);
        typeName = zone == null ? "timestamp" : "timestamp[" + zone + "]";
      }
      case INTERVAL -> {
        int unit = fb.i16(t, 0, 0);
        bits = switch (unit) {
          case 0 -> 32;
          case 1 -> 64;
          case 2 -> 128;
          default -> throw fb.bad("column %s has an unknown interval unit %d", qualified, unit);
        };
        typeName = new String[] {"interval[year_month]", "interval[day_time]", "interval[month_day_nano]"}[unit];
      }
      case DURATION -> {
        bits = 64;
        checkUnit(fb, qualified, fb.i16(t, 0, 1));
        typeName = "duration";
      }
      case BOOL -> {
        bits = 1;
        typeName = "bool";
      }
      case FIXED_SIZE_BINARY -> {
        int width = fb.i32(t, 0, 0);
        if (width < 0) {
          throw fb.bad("column %s has a negative byte width %d", qualified, width);
        }
        if (width > Integer.MAX_VALUE / 8) { // Arrow C++'s limit: the width in bits is an int
          throw fb.bad("column %s has a byte width of %d, more than the %d Arrow allows", qualified, width, Integer.MAX_VALUE / 8);
        }
        bits = width * 8;
        typeName = "fixed_size_binary[" + width + "]";
      }
      case FIXED_SIZE_LIST -> {
        listSize = fb.i32(t, 0, 0);
        if (listSize < 0) {
          throw fb.bad("column %s has a negative list size %d", qualified, listSize);
        }
        typeName = "fixed_size_list[" + listSize + "]";
      }
      case UNION -> {
        int mode = fb.i16(t, 0, 0);
        if (mode != 0 && mode != 1) {
          throw fb.bad("column %s has an unknown union mode %d", qualified, mode);
        }
        dense = mode == 1;
        unionTypeIds = fb.vector(t, 1, 4, 4);
        typeName = dense ? "dense_union" : "sparse_union";
      }
      case MAP -> {
        fb.bool(t, 0, false); // keysSorted: read for its checks only
        typeName = "map";
      }
      default -> typeName = type.name().toLowerCase(java.util.Locale.ROOT);
    }
    List<Column> children = columns(fb, fb.vector(field, 5, 4, 4), depth + 1, dictionaries, count, qualified);
    if (type.children >= 0 && children.size() != type.children) {
      throw fb.bad("column %s of type %s has %d children, but that type has %d", qualified, typeName, children.size(), type.children);
    }
    List<Integer> unionTypeCodes = type == ArrowType.UNION ? checkUnion(fb, qualified, unionTypeIds, children.size()) : List.of();
    if (type == ArrowType.MAP && (children.get(0).type() != ArrowType.STRUCT || children.get(0).children().size() != 2)) {
      throw fb.bad("column %s is a map whose entries are not a struct of a key and a value", qualified);
    }
    if (type == ArrowType.MAP) { // as Arrow C++ reads a map: neither its entries nor its keys may be null
      int entries = fb.tableAt(fb.vector(field, 5, 4, 4), 0);
      if (fb.bool(entries, 1, false)) {
        throw fb.bad("column %s is a map whose entries are nullable (a map's key-value pairs are a non-nullable struct)", qualified);
      }
      if (fb.bool(fb.tableAt(fb.vector(entries, 5, 4, 4), 0), 1, false)) {
        throw fb.bad("column %s is a map whose keys are nullable (a map's keys are never null)", qualified);
      }
    }
    if (type == ArrowType.RUN_END_ENCODED && (children.get(0).type() != ArrowType.INT || children.get(0).valueBits() < 16
        || !children.get(0).typeName().startsWith("int"))) {
      throw fb.bad("column %s is run-end encoded with run ends of type %s (they are int16, int32 or int64)", qualified,
          children.get(0).typeName());
    }
    long dictionaryId = -1;
    int indexBits = 0;
    int dictionary = fb.subTable(field, 4);
    if (dictionary >= 0) {
      dictionaryId = fb.i64(dictionary, 0, 0);
      fb.bool(dictionary, 2, false); // isOrdered and dictionaryKind: read for their checks only
      fb.i16(dictionary, 3, 0);
      int index = fb.subTable(dictionary, 1);
      if (index < 0) {
        throw fb.bad("column %s is dictionary-encoded but names no index type", qualified);
      }
      indexBits = fb.i32(index, 0, 0);
      checkBits(fb, qualified + " (its dictionary indices)", indexBits, 8, 16, 32, 64);
    }
    Column c = new Column(name, type, typeName, children, dictionaryId, indexBits, bits, dense, listSize, unionTypeCodes);
    if (extension != null) {
      CanonicalExtensions.check(fb, qualified, c, extension[0], extension[1]);
    }
    if (dictionaryId >= 0 && dictionaries.put(dictionaryId, c) != null) {
      throw fb.bad("dictionary id %d is used by two columns (each dictionary-encoded column needs its own id)", dictionaryId);
    }
    return c;
  }

  /** A union's type codes: one per child, distinct, 0 to 127 (a union has at most 128 children). */
  /** Checks a union's type codes; answers them, child by child. */
  private static List<Integer> checkUnion(CheckedFlatBuffer fb, String column, int typeIds, int children) {
    if (children > 128) {
      throw fb.bad("column %s is a union of %d children; a union has at most 128", column, children);
    }
    if (typeIds < 0) {
      return java.util.stream.IntStream.range(0, children).boxed().toList(); // codes 0..n-1
    }
    int n = fb.vectorLength(typeIds);
    if (n != children) {
      throw fb.bad("column %s is a union with %d type codes for %d children", column, n, children);
    }
    boolean[] seen = new boolean[128];
    List<Integer> codes = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int code = fb.intAt(typeIds + 4 * i);
      if (code < 0 || code > 127 || seen[code]) {
        throw fb.bad("column %s is a union with an invalid or repeated type code %d (codes are distinct, 0 to 127)", column, code);
      }
      seen[code] = true;
      codes.add(code);
    }
    return List.copyOf(codes);
  }

  private static void checkBits(CheckedFlatBuffer fb, String column, int bits, int... allowed) {
    for (int a : allowed) {
      if (bits == a) {
        return;
      }
    }
    throw fb.bad("column %s has an invalid bit width %d", column, bits);
  }

  private static void checkUnit(CheckedFlatBuffer fb, String column, int unit) {
    if (unit < 0 || unit > 3) {
      throw fb.bad("column %s has an unknown time unit %d", column, unit);
    }
  }

  /** The schema message's flatbuffer, as sent. */
  public byte[] message() {
    return message;
  }

  /** Where the Schema table starts inside {@link #message()} (the IPC file footer embeds it). */
  int schemaTablePosition() {
    return schemaTable;
  }

  /** The app_metadata that came with the schema, or null. */
  public byte[] appMetadata() {
    return appMetadata;
  }

  public List<Column> columns() {
    return columns;
  }

  /** The dictionary-encoded columns by dictionary id (nested ones included). */
  public Map<Long, Column> dictionaries() {
    return dictionaries;
  }

  /**
   * The schema as an encapsulated IPC message (continuation marker, length, flatbuffer, padding):
   * what {@code FlightInfo.schema} and {@code SchemaResult} carry.
   */
  public byte[] ipcMessage() {
    ByteBuffer b = ipcMessageBuffer();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** {@link #ipcMessage()} as a read-only view of one copy kept with the schema: nothing is built per call. */
  public ByteBuffer ipcMessageBuffer() {
    ByteBuffer b = framed;
    if (b == null) {
      b = ByteBuffer.wrap(frame());
      framed = b;
    }
    return b.asReadOnlyBuffer();
  }

  private byte[] frame() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 16);
    int padded = Messages.paddedMetadataLength(message.length);
    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    prefix.putInt(Messages.CONTINUATION).putInt(padded);
    out.writeBytes(prefix.array());
    out.writeBytes(message);
    out.writeBytes(new byte[padded - message.length]);
    return out.toByteArray();
  }

  /** The Java view of the schema, if Arrow Java has one for every type in it. */
  public Optional<Schema> javaSchemaIfSupported() {
    try {
      return Optional.of(javaSchema());
    } catch (UnsupportedTypeException e) {
      return Optional.empty();
    }
  }

  /**
   * Arrow Java's view of this schema, for code that computes on the data (SQL) or reports it.
   *
   * @throws UnsupportedTypeException naming the first column whose type Arrow Java cannot represent
   */
  public Schema javaSchema() {
    Schema s = javaSchema;
    if (s == null) {
      Column unsupported = firstColumn(columns, c -> c.type() == ArrowType.DECIMAL && c.valueBits() < 128);
      if (unsupported != null) {
        throw new UnsupportedTypeException(unsupported.name(), unsupported.typeName(), "Arrow Java");
      }
      try {
        org.apache.arrow.flatbuf.Message m = org.apache.arrow.flatbuf.Message.getRootAsMessage(
            ByteBuffer.wrap(readableByJava()).order(ByteOrder.LITTLE_ENDIAN));
        s = org.apache.arrow.vector.ipc.message.MessageSerializer.deserializeSchema(m);
      } catch (RuntimeException e) {
        throw new UnsupportedTypeException("?", "this schema (" + e.getMessage() + ")", "Arrow Java");
      }
      javaSchema = s;
    }
    return s;
  }

  /**
   * The message as Arrow Java can read it. Arrow Java decodes every flatbuffer string as UTF-8 and
   * refuses the message if one is not, while Arrow C++ takes custom_metadata as bytes (pyarrow sends
   * whatever bytes a caller or an extension type puts there). In a copy, each byte outside ASCII of such
   * a string becomes '?': the same length, so the flatbuffer stays valid. The flight keeps its bytes.
   */
  private byte[] readableByJava() {
    if (notUtf8.length == 0) {
      return message;
    }
    byte[] copy = message.clone();
    for (int i = 0; i < notUtf8.length; i += 2) {
      for (int p = notUtf8[i], end = p + notUtf8[i + 1]; p < end; p++) {
        if (copy[p] < 0) {
          copy[p] = '?';
        }
      }
    }
    return copy;
  }

  /** The first column, depth first, that {@code test} accepts; null if none. */
  public static Column firstColumn(List<Column> columns, java.util.function.Predicate<Column> test) {
    for (Column c : columns) {
      if (test.test(c)) {
        return c;
      }
      Column inner = firstColumn(c.children(), test);
      if (inner != null) {
        return inner;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("schema<");
    for (int i = 0; i < columns.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(columns.get(i).name()).append(": ").append(columns.get(i).typeName());
    }
    return b.append('>').toString();
  }
}
