package dev.hangar.tiers.ipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

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
      ArrowBuf body = m.body() == null ? allocator.getEmpty() : m.bodyBuffer(allocator); // deserialize takes our reference
      if (header.headerType() == MessageHeader.DictionaryBatch) {
        loadDictionary(MessageSerializer.deserializeDictionaryBatch(header, body));
        continue;
      }
      loadRecordBatch(MessageSerializer.deserializeRecordBatch((RecordBatch) header.header(new RecordBatch()), body));
      return true;
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
