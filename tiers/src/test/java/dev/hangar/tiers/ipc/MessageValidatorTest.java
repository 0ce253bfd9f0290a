package dev.hangar.tiers.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.flatbuffers.FlatBufferBuilder;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

class MessageValidatorTest {
  private static MessageValidator oneStringColumn() {
    ByteBuffer bb = MessageSerializer.serializeMetadata(new Schema(List.of(new Field("s", FieldType.nullable(ArrowType.Utf8.INSTANCE), null))));
    byte[] schema = new byte[bb.remaining()];
    bb.duplicate().get(schema);
    return new MessageValidator(FlightSchema.parse(schema, null));
  }

  /** A record batch of {@code rows} rows of one string column: no validity, an offsets buffer of 8 bytes, no data; a body of 8 bytes. */
  private static byte[] batch(long rows) {
    FlatBufferBuilder b = new FlatBufferBuilder();
    RecordBatch.startNodesVector(b, 1);
    FieldNode.createFieldNode(b, rows, 0);
    int nodes = b.endVector();
    RecordBatch.startBuffersVector(b, 3); // structs go in back to front
    Buffer.createBuffer(b, 8, 0); // data
    Buffer.createBuffer(b, 0, 8); // offsets
    Buffer.createBuffer(b, 0, 0); // validity
    int buffers = b.endVector();
    int batch = RecordBatch.createRecordBatch(b, rows, nodes, buffers, 0, 0);
    b.finish(Message.createMessage(b, MetadataVersion.V5, MessageHeader.RecordBatch, batch, 8, 0));
    return b.sizedByteArray();
  }

  /**
   * Found by MessageFuzzIT (seed 61038389922937, 40,000 puts): a flipped bit made a string column's
   * length about 2^61, so the bytes its offsets need overflowed to a negative number and passed as
   * enough; checking the body then read far outside it and the put failed INTERNAL.
   */
  @Test
  void aLengthWhoseOffsetsOverflowIsRefused() {
    assertThat(oneStringColumn().check(batch(1), 8).kind()).isEqualTo(MessageKind.RECORD_BATCH);
    assertThatThrownBy(() -> oneStringColumn().check(batch((1L << 62) - 1), 8)).isInstanceOf(InvalidMessageException.class)
        .hasMessage("message 1: its lengths overflow (a field node or buffer is impossibly large)");
  }

  /**
   * A dictionary of map<int32, int32> whose one entry's key is null: Arrow C++ aborts the reading process
   * when a delta extends such a dictionary ("Map array keys array should have no nulls"), so it is refused
   * from its header.
   */
  @Test
  void aDictionaryOfMapsWithNullKeysIsRefused() {
    Field entries = new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
        new Field("key", FieldType.notNullable(new ArrowType.Int(32, true)), null),
        new Field("value", FieldType.nullable(new ArrowType.Int(32, true)), null)));
    Field map = new Field("m", new FieldType(true, new ArrowType.Map(false),
        new org.apache.arrow.vector.types.pojo.DictionaryEncoding(0, false, new ArrowType.Int(32, true))), List.of(entries));
    ByteBuffer bb = MessageSerializer.serializeMetadata(new Schema(List.of(map)));
    byte[] schema = new byte[bb.remaining()];
    bb.duplicate().get(schema);
    assertThat(new MessageValidator(FlightSchema.parse(schema, null)).check(mapDictionary(0), 32).kind())
        .isEqualTo(MessageKind.DICTIONARY_BATCH);
    assertThatThrownBy(() -> new MessageValidator(FlightSchema.parse(schema, null)).check(mapDictionary(1), 32))
        .isInstanceOf(InvalidMessageException.class)
        .hasMessageContaining("dictionary column \"m\" is a map with null keys (a map's keys may not be null)");
  }

  /** A dictionary batch (id 0) of one map with one entry, whose key column has {@code keyNulls} nulls; a body of 32 bytes. */
  private static byte[] mapDictionary(long keyNulls) {
    FlatBufferBuilder b = new FlatBufferBuilder();
    RecordBatch.startNodesVector(b, 4); // back to front: value, key, entries, map
    FieldNode.createFieldNode(b, 1, 0);
    FieldNode.createFieldNode(b, 1, keyNulls);
    FieldNode.createFieldNode(b, 1, 0);
    FieldNode.createFieldNode(b, 1, 0);
    int nodes = b.endVector();
    RecordBatch.startBuffersVector(b, 7); // back to front
    Buffer.createBuffer(b, 24, 8); // value values
    Buffer.createBuffer(b, 24, 0); // value validity
    Buffer.createBuffer(b, 16, 8); // key values
    Buffer.createBuffer(b, 8, 8); // key validity
    Buffer.createBuffer(b, 8, 0); // entries validity
    Buffer.createBuffer(b, 0, 8); // map offsets
    Buffer.createBuffer(b, 0, 0); // map validity
    int buffers = b.endVector();
    int data = RecordBatch.createRecordBatch(b, 1, nodes, buffers, 0, 0);
    int dictionary = org.apache.arrow.flatbuf.DictionaryBatch.createDictionaryBatch(b, 0, data, false);
    b.finish(Message.createMessage(b, MetadataVersion.V5, MessageHeader.DictionaryBatch, dictionary, 32, 0));
    return b.sizedByteArray();
  }

  /**
   * A dictionary of unions of int8 "a" and int8 "b" with type codes 5 and 7: each type code must be one of
   * those, and a dense union's offsets must lie inside the child they point into (Arrow C++ refuses a delta
   * over anything else).
   */
  @Test
  void aDictionaryOfUnionsIsCheckedCodeByCode() {
    assertThat(unionDictionary(false, new byte[] {5, 7}, null)).isNull();
    assertThat(unionDictionary(false, new byte[] {5, 9}, null))
        .isEqualTo("message 1: dictionary column \"u\" has the union type code 9 at index 1, none of its types' [5, 7]");
    assertThat(unionDictionary(true, new byte[] {5, 7}, new int[] {0, 0})).isNull();
    assertThat(unionDictionary(true, new byte[] {7, 5}, new int[] {0, 1}))
        .isEqualTo("message 1: dictionary column \"u\" has the dense union offset 1 at index 1, outside the 1 values of its child 0");
  }

  /**
   * Checks a dictionary batch of two unions (type codes {@code codes}; {@code offsets} if dense, where each child
   * has one value, else two); answers the refusal's message, or null if the batch passes.
   */
  private static String unionDictionary(boolean dense, byte[] codes, int[] offsets) {
    Field union = new Field("u", new FieldType(true, new ArrowType.Union(dense ? org.apache.arrow.vector.types.UnionMode.Dense
        : org.apache.arrow.vector.types.UnionMode.Sparse, new int[] {5, 7}),
        new org.apache.arrow.vector.types.pojo.DictionaryEncoding(0, false, new ArrowType.Int(32, true))), List.of(
        new Field("a", FieldType.nullable(new ArrowType.Int(8, true)), null), new Field("b", FieldType.nullable(new ArrowType.Int(8, true)), null)));
    ByteBuffer bb = MessageSerializer.serializeMetadata(new Schema(List.of(union)));
    byte[] schema = new byte[bb.remaining()];
    bb.duplicate().get(schema);
    long children = dense ? 1 : 2;
    FlatBufferBuilder b = new FlatBufferBuilder();
    RecordBatch.startNodesVector(b, 3); // back to front: b, a, the union
    FieldNode.createFieldNode(b, children, 0);
    FieldNode.createFieldNode(b, children, 0);
    FieldNode.createFieldNode(b, 2, 0);
    int nodes = b.endVector();
    int at = dense ? 16 : 8; // after the type codes (and a dense union's offsets)
    RecordBatch.startBuffersVector(b, dense ? 6 : 5); // back to front
    Buffer.createBuffer(b, at + 8, 8); // b's values
    Buffer.createBuffer(b, at + 8, 0); // b's validity
    Buffer.createBuffer(b, at, 8); // a's values
    Buffer.createBuffer(b, at, 0); // a's validity
    if (dense) {
      Buffer.createBuffer(b, 8, 8); // offsets
    }
    Buffer.createBuffer(b, 0, 8); // type codes
    int buffers = b.endVector();
    int data = RecordBatch.createRecordBatch(b, 2, nodes, buffers, 0, 0);
    int dictionary = org.apache.arrow.flatbuf.DictionaryBatch.createDictionaryBatch(b, 0, data, false);
    long bodyLength = at + 16;
    b.finish(Message.createMessage(b, MetadataVersion.V5, MessageHeader.DictionaryBatch, dictionary, bodyLength, 0));
    MessageValidator validator = new MessageValidator(FlightSchema.parse(schema, null));
    try (var allocator = new org.apache.arrow.memory.RootAllocator(); var body = allocator.buffer(bodyLength)) {
      body.setZero(0, bodyLength);
      body.setBytes(0, codes);
      if (dense) {
        body.setInt(8, offsets[0]);
        body.setInt(12, offsets[1]);
      }
      var header = validator.check(b.sizedByteArray(), bodyLength);
      validator.checkBody(header, body);
      return null;
    } catch (InvalidMessageException e) {
      return e.getMessage();
    }
  }
}
