package dev.hangar.tiers.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class FlightSchemaTest {
  private static byte[] schemaMessage() {
    Schema schema = new Schema(List.of(
        new Field("a", FieldType.nullable(new ArrowType.Int(64, true)), null),
        new Field("b", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null)));
    ByteBuffer bb = MessageSerializer.serializeMetadata(schema);
    byte[] out = new byte[bb.remaining()];
    bb.duplicate().get(out);
    return out;
  }

  /** The position of vtable entry {@code index} of the first column's Field table. */
  private static int firstFieldVtableEntry(byte[] message, int index) {
    ByteBuffer bb = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
    int msg = bb.getInt(0);
    int header = field(bb, msg, 2);
    int schema = header + bb.getInt(header);
    int fields = field(bb, schema, 1);
    int vector = fields + bb.getInt(fields);
    int first = vector + 4 + bb.getInt(vector + 4);
    int vtable = first - bb.getInt(first);
    return vtable + 4 + 2 * index;
  }

  /** Parsing the schema message {@code message} fails with {@code problem}. */
  private static void assertRefused(byte[] message, String problem) {
    assertThatThrownBy(() -> FlightSchema.parse(message, null))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessage("message 0 (schema): " + problem);
  }

  private static int field(ByteBuffer bb, int table, int index) {
    int vtable = table - bb.getInt(table);
    return table + (bb.getShort(vtable + 4 + 2 * index) & 0xFFFF);
  }

  /**
   * Found by MessageFuzzIT (seed 2): one flipped bit in the vtable of a field Hangar does not use
   * (a column's {@code nullable}) made the flag point far past its table. Hangar accepted the schema
   * and served it back; pyarrow's flatbuffer verifier refused it, so the flight was unreadable.
   */
  @Test
  void aFieldOffsetPastItsTableIsRefusedEvenForFieldsHangarDoesNotUse() {
    byte[] message = schemaMessage();
    assertThat(FlightSchema.parse(message.clone(), null).columns()).hasSize(2);

    int nullable = firstFieldVtableEntry(message, 1);
    ByteBuffer bb = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(bb.getShort(nullable)).as("Arrow Java writes nullable=true into the table").isNotZero();
    bb.putShort(nullable, (short) (bb.getShort(nullable) | 0x80));

    assertRefused(message, "a table field lies outside its table");
  }

  @Test
  void aFieldOffsetInsideTheVtableHeaderIsRefused() {
    byte[] message = schemaMessage();
    int name = firstFieldVtableEntry(message, 0);
    ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).putShort(name, (short) 2);

    assertRefused(message, "a table field lies outside its table");
  }

  /**
   * Found by MessageFuzzIT (seed 2): a column's children offset flipped to 0 points at itself, which
   * reads as an empty vector. Flatbuffers' verifier refuses a zero offset, so pyarrow could not read
   * the flight back.
   */
  @Test
  void aZeroOffsetIsRefused() {
    byte[] message = schemaMessage();
    ByteBuffer bb = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
    int nameEntry = firstFieldVtableEntry(message, 0);
    int vtable = nameEntry - 4;
    int table = -1;
    for (int pos = 0; pos + 4 <= message.length; pos += 4) { // the Field table whose vtable this is
      if (pos - bb.getInt(pos) == vtable && bb.getShort(vtable + 4) != 0) {
        table = pos;
        break;
      }
    }
    assertThat(table).isNotNegative();
    bb.putInt(table + bb.getShort(nameEntry), 0);

    assertThatThrownBy(() -> FlightSchema.parse(message, null)).isInstanceOf(InvalidMessageException.class)
        .hasMessageStartingWith("message 0 (schema): the flatbuffer has an invalid offset 0 at ");
  }

  private static byte[] schemaOf(Field... fields) {
    ByteBuffer bb = MessageSerializer.serializeMetadata(new Schema(List.of(fields)));
    byte[] out = new byte[bb.remaining()];
    bb.duplicate().get(out);
    return out;
  }

  /** Found by MessageFuzzIT (random seed): a flipped bit made a time32 in microseconds, which Arrow C++ refuses to read. */
  @Test
  void aTimeHasTheBitWidthOfItsUnit() {
    for (org.apache.arrow.vector.types.TimeUnit unit : org.apache.arrow.vector.types.TimeUnit.values()) {
      int bits = unit.ordinal() <= 1 ? 32 : 64;
      assertThat(FlightSchema.parse(schemaOf(new Field("t", FieldType.nullable(new ArrowType.Time(unit, bits)), null)), null)
          .columns()).hasSize(1);
    }
    assertRefused(schemaOf(new Field("t", FieldType.nullable(new ArrowType.Time(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, 32)),
        null)), "column \"t\" is a time32 in microseconds, but times in seconds and milliseconds are 32 bits, in micro- and nanoseconds 64");
    assertRefused(schemaOf(new Field("t", FieldType.nullable(new ArrowType.Time(org.apache.arrow.vector.types.TimeUnit.MILLISECOND, 64)),
        null)), "column \"t\" is a time64 in milliseconds, but times in seconds and milliseconds are 32 bits, in micro- and nanoseconds 64");
  }

  /** Found by MessageFuzzIT (seed 59359837226310, 20,000 puts): a fixed-size binary wider than Arrow C++ allows (its width in bits overflowed here). */
  @Test
  void aFixedSizeBinaryIsAtMostAQuarterGigabyteWide() {
    int widest = Integer.MAX_VALUE / 8;
    assertThat(FlightSchema.parse(schemaOf(new Field("f", FieldType.nullable(new ArrowType.FixedSizeBinary(widest)), null)), null)
        .columns()).hasSize(1);
    assertRefused(schemaOf(new Field("f", FieldType.nullable(new ArrowType.FixedSizeBinary(widest + 1)), null)),
        "column \"f\" has a byte width of " + (widest + 1) + ", more than the " + widest + " Arrow allows");
  }

  private static Field map(boolean nullableEntries, boolean nullableKeys) {
    Field key = new Field("key", new FieldType(nullableKeys, ArrowType.Utf8.INSTANCE, null), null);
    Field value = new Field("value", FieldType.nullable(new ArrowType.Int(64, true)), null);
    Field entries = new Field("entries", new FieldType(nullableEntries, ArrowType.Struct.INSTANCE, null), List.of(key, value));
    return new Field("m", FieldType.nullable(new ArrowType.Map(false)), List.of(entries));
  }

  /** Arrow C++ reads a map only if its entries and its keys are non-nullable (the format says so); a schema that says otherwise is refused. */
  @Test
  void aMapsEntriesAndKeysAreNotNullable() {
    assertThat(FlightSchema.parse(schemaOf(map(false, false)), null).columns()).hasSize(1);
    assertRefused(schemaOf(map(true, false)),
        "column \"m\" is a map whose entries are nullable (a map's key-value pairs are a non-nullable struct)");
    assertRefused(schemaOf(map(false, true)), "column \"m\" is a map whose keys are nullable (a map's keys are never null)");
  }

  /** The bytes of a V5 schema message around the schema table just ended in {@code b}. */
  private static byte[] schemaMessage(com.google.flatbuffers.FlatBufferBuilder b, int schema) {
    org.apache.arrow.flatbuf.Message.startMessage(b);
    org.apache.arrow.flatbuf.Message.addVersion(b, org.apache.arrow.flatbuf.MetadataVersion.V5);
    org.apache.arrow.flatbuf.Message.addHeaderType(b, org.apache.arrow.flatbuf.MessageHeader.Schema);
    org.apache.arrow.flatbuf.Message.addHeader(b, schema);
    b.finish(org.apache.arrow.flatbuf.Message.endMessage(b));
    return b.sizedByteArray();
  }

  /** A schema message of no columns, with an empty {@code fields} vector or none at all. */
  private static byte[] emptySchema(boolean withFields) {
    var b = new com.google.flatbuffers.FlatBufferBuilder();
    int fields = withFields ? org.apache.arrow.flatbuf.Schema.createFieldsVector(b, new int[0]) : 0;
    org.apache.arrow.flatbuf.Schema.startSchema(b);
    if (withFields) {
      org.apache.arrow.flatbuf.Schema.addFields(b, fields);
    }
    return schemaMessage(b, org.apache.arrow.flatbuf.Schema.endSchema(b));
  }

  /**
   * Found by MessageFuzzIT (random seeds, 20,000 puts): a flipped bit in a zero-batch stream's
   * schema dropped its {@code fields} vector. Hangar read that as no columns and stored the flight;
   * pyarrow refuses it ("Unexpected null field Schema.fields").
   */
  @Test
  void aSchemaNeedsItsFieldsVectorEvenWhenEmpty() {
    assertThat(FlightSchema.parse(emptySchema(true), null).columns()).isEmpty();
    assertRefused(emptySchema(false), "the schema has no fields vector (a schema of no columns has an empty one; Arrow C++ readers require it)");
  }

  /** A schema message with one custom_metadata entry, built field by field; null halves are left out. */
  private static byte[] schemaWithMetadata(String key, String value) {
    var b = new com.google.flatbuffers.FlatBufferBuilder();
    int k = key == null ? 0 : b.createString(key);
    int v = value == null ? 0 : b.createString(value);
    org.apache.arrow.flatbuf.KeyValue.startKeyValue(b);
    if (key != null) {
      org.apache.arrow.flatbuf.KeyValue.addKey(b, k);
    }
    if (value != null) {
      org.apache.arrow.flatbuf.KeyValue.addValue(b, v);
    }
    int kv = org.apache.arrow.flatbuf.KeyValue.endKeyValue(b);
    int metadata = org.apache.arrow.flatbuf.Schema.createCustomMetadataVector(b, new int[] {kv});
    int fields = org.apache.arrow.flatbuf.Schema.createFieldsVector(b, new int[0]);
    org.apache.arrow.flatbuf.Schema.startSchema(b);
    org.apache.arrow.flatbuf.Schema.addFields(b, fields);
    org.apache.arrow.flatbuf.Schema.addCustomMetadata(b, metadata);
    return schemaMessage(b, org.apache.arrow.flatbuf.Schema.endSchema(b));
  }

  /** Found by MessageFuzzIT (seed 8): Arrow C++ refuses a custom_metadata entry without a key or a value. */
  @Test
  void aMetadataEntryNeedsAKeyAndAValue() {
    assertThat(FlightSchema.parse(schemaWithMetadata("k", "v"), new byte[0]).columns()).isEmpty();
    assertRefused(schemaWithMetadata(null, "v"), "a custom_metadata entry has no key");
    assertRefused(schemaWithMetadata("k", null), "a custom_metadata entry has no value");
  }

  /** {@code message} with the first occurrence of {@code from} replaced by {@code to} (the same length). */
  private static byte[] replaced(byte[] message, byte[] from, byte[] to) {
    byte[] out = message.clone();
    for (int i = 0; i + from.length <= out.length; i++) {
      if (java.util.Arrays.equals(out, i, i + from.length, from, 0, from.length)) {
        System.arraycopy(to, 0, out, i, to.length);
        return out;
      }
    }
    throw new AssertionError("not found");
  }

  /**
   * Arrow C++ writes and reads custom_metadata as bytes (pyarrow takes bytes keys and values), so a
   * key or value that is not UTF-8 is stored as sent; Arrow Java's view, which SQL uses, shows '?' for
   * each such byte instead of refusing the schema. A column name must still be UTF-8.
   */
  @Test
  void metadataThatIsNotUtf8IsKeptAndJavaSeesQuestionMarks() {
    byte[] utf8 = schemaWithMetadata("k\u00e9", "v\u00e9\u00e9");
    byte[] message = replaced(replaced(utf8, "v\u00e9\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        new byte[] {'v', (byte) 0xff, 0, (byte) 0x80, (byte) 0xfe}), "k\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        new byte[] {'k', (byte) 0xc3, (byte) 0x28});
    FlightSchema schema = FlightSchema.parse(message, null);
    byte[] bytes = schema.ipcMessage(); // as served: framed, the flatbuffer unchanged
    assertThat(java.util.Arrays.copyOfRange(bytes, 8, 8 + message.length)).isEqualTo(message);
    assertThat(schema.javaSchema().getCustomMetadata()).containsExactly(java.util.Map.entry("k?(", "v?\u0000??"));

    byte[] name = schemaOf(new Field("\u00e9", FieldType.nullable(new ArrowType.Int(64, true)), null));
    assertRefused(replaced(name, new byte[] {(byte) 0xc3, (byte) 0xa9}, new byte[] {(byte) 0xff, (byte) 0xff}), "a string is not valid UTF-8");
  }
}
