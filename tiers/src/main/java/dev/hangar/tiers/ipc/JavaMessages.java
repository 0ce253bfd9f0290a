package dev.hangar.tiers.ipc;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.message.ArrowBuffer;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Encodes data that Hangar itself produced as Arrow Java vectors (SQL results stored as flights) into
 * IPC messages, the form every tier stores.
 */
public final class JavaMessages {
  private JavaMessages() {}

  /** The schema message for {@code schema}. */
  public static FlightSchema schema(Schema schema) {
    return FlightSchema.parse(bytes(MessageSerializer.serializeMetadata(schema)), null);
  }

  /**
   * The record batch message for {@code batch}, checked by {@code validator}; its body is a copy in
   * {@code allocator}. The caller still closes {@code batch}.
   */
  public static Message recordBatch(ArrowRecordBatch batch, MessageValidator validator, BufferAllocator allocator) {
    byte[] header = bytes(MessageSerializer.serializeMetadata(batch));
    long length = batch.computeBodyLength();
    MessageHeader h = validator.check(header, length);
    if (length == 0) {
      return new Message(h, null, null);
    }
    ArrowBuf body = allocator.buffer(length);
    try {
      body.setZero(0, length);
      List<ArrowBuf> buffers = batch.getBuffers();
      List<ArrowBuffer> layout = batch.getBuffersLayout();
      for (int i = 0; i < buffers.size(); i++) {
        ArrowBuf b = buffers.get(i);
        body.setBytes(layout.get(i).getOffset(), b, 0, b.readableBytes());
      }
      return new Message(h, null, new BufferBody(body, length));
    } catch (RuntimeException e) {
      body.close();
      throw e;
    }
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }
}
