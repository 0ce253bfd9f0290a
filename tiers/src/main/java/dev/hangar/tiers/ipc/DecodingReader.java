package dev.hangar.tiers.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.VectorBatchAppender;

/**
 * Decodes a stored flight's messages into Arrow Java vectors, for the code that computes on the data
 * (SQL): dictionaries are loaded and replaced or extended as they arrive, compressed bodies are
 * decompressed on the fly, and record batches share the stored bodies where they are not compressed.
 * Whoever owns the stored copy keeps it alive while the reader is used; closing the reader closes only
 * the cursor.
 *
 * @throws UnsupportedTypeException (from {@link #getVectorSchemaRoot()}) if Arrow Java cannot decode a
 *     column of the schema
 */
public final class DecodingReader extends ArrowReader {
  private final FlightSchema schema;
  private final MessageCursor cursor;
  private long bytesRead;

  public DecodingReader(BufferAllocator allocator, FlightSchema schema, MessageCursor cursor) {
    super(allocator, Codecs.INSTANCE);
    this.schema = schema;
    this.cursor = cursor;
  }

  @Override
  public boolean loadNextBatch() throws IOException {
    prepareLoadNextBatch();
    while (true) {
      Message m = cursor.next();
      if (m == null) {
        return false;
      }
      bytesRead += m.bodyLength();
      org.apache.arrow.flatbuf.Message header =
          org.apache.arrow.flatbuf.Message.getRootAsMessage(ByteBuffer.wrap(m.header().bytes()).order(ByteOrder.LITTLE_ENDIAN));
      ArrowBuf body = m.body() == null ? allocator.getEmpty() : m.bodyBuffer(allocator); // deserialize takes this reference
      // and this one is held until the message is loaded: Arrow Java's VectorLoader closes a compressed buffer
      // before it takes a reference to it again, so a batch of one buffer (one all-null fixed-size list or
      // struct, compressed) dropped the body's last reference in between, and its ledger then failed to release
      body.getReferenceManager().retain();
      try {
        if (header.headerType() == MessageHeader.DictionaryBatch) {
          loadDictionary(MessageSerializer.deserializeDictionaryBatch(header, body));
          continue;
        }
        loadRecordBatch(MessageSerializer.deserializeRecordBatch((RecordBatch) header.header(new RecordBatch()), body));
        return true;
      } finally {
        body.getReferenceManager().release();
      }
    }
  }

  /**
   * A delta extends its dictionary. Arrow Java appends it in place, which fails once the dictionary's
   * buffers are slices of a stored body (they cannot grow: "index: 0, length: 16 (expected: range(0, 8))");
   * so the longer dictionary is built by appending both to a vector of its own, whose buffers the
   * dictionary's vector then takes over.
   */
  @Override
  protected void loadDictionary(ArrowDictionaryBatch batch) {
    Dictionary current = dictionaries.get(batch.getDictionaryId());
    if (!batch.isDelta() || current == null) {
      super.loadDictionary(batch); // the first or a replacement (and super's own error for an unknown id)
      return;
    }
    FieldVector vector = current.getVector();
    try (batch;
        FieldVector delta = vector.getField().createVector(allocator);
        FieldVector combined = vector.getField().createVector(allocator)) {
      VectorSchemaRoot root = new VectorSchemaRoot(List.of(delta.getField()), List.of(delta), 0);
      new VectorLoader(root, Codecs.INSTANCE).load(batch.getDictionary());
      combined.allocateNew();
      VectorBatchAppender.batchAppend(combined, vector, delta);
      combined.makeTransferPair(vector).transfer(); // the reader's map of dictionaries cannot change: its vector takes them
    }
  }

  @Override
  public long bytesRead() {
    return bytesRead;
  }

  @Override
  protected void closeReadSource() {
    cursor.close();
  }

  @Override
  protected Schema readSchema() {
    return schema.javaSchema();
  }
}
