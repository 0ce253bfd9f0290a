package dev.hangar.tiers.durable;

import dev.hangar.tiers.ArrowFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Reads a durable flight file front to back from a stream (one S3 GET, or one file), batch by batch,
 * and checks at the end that the bytes match the footer's checksum. A batch handed out before the
 * end is not yet verified: callers commit nothing until {@link #next} has returned null.
 */
public final class DurableFileReader implements AutoCloseable {
  private final InputStream stream;
  private final BufferAllocator allocator;
  private final CrcChannel channel;
  private final ReadChannel in;
  private final Schema schema;
  private DurableMetadata metadata;

  public DurableFileReader(InputStream stream, BufferAllocator allocator) throws IOException {
    this.stream = stream;
    this.allocator = allocator;
    this.channel = new CrcChannel(stream);
    this.in = new ReadChannel(channel);
    byte[] magic = new byte[8];
    readFully(magic);
    if (!Arrays.equals(Arrays.copyOf(magic, 6), ArrowFiles.MAGIC)) {
      throw new IOException("not an Arrow IPC file (no ARROW1 magic)");
    }
    MessageMetadataResult first = MessageSerializer.readMessage(in);
    if (first == null || first.getMessage().headerType() != MessageHeader.Schema) {
      throw new IOException("Arrow IPC file does not start with a schema");
    }
    this.schema = MessageSerializer.deserializeSchema(first);
  }

  public Schema schema() {
    return schema;
  }

  /** The next batch (owned by the caller, allocated from the reader's allocator), or null at the end. */
  public ArrowRecordBatch next() throws IOException {
    if (metadata != null) {
      return null;
    }
    MessageMetadataResult message = MessageSerializer.readMessage(in);
    if (message == null) {
      finish();
      return null;
    }
    if (message.getMessage().headerType() != MessageHeader.RecordBatch) {
      throw new IOException("unexpected Arrow message type " + message.getMessage().headerType() + " (dictionaries are not stored)");
    }
    ArrowBuf body = MessageSerializer.readMessageBody(in, message.getMessageBodyLength(), allocator);
    try {
      return MessageSerializer.deserializeRecordBatch(message, body); // takes over the body's reference
    } catch (IOException | RuntimeException e) {
      body.close();
      throw e;
    }
  }

  private void finish() throws IOException {
    String actual = "crc32c:" + HexFormat.of().toHexDigits((int) channel.crc.getValue());
    channel.counting = false;
    byte[] rest = stream.readAllBytes();
    if (rest.length < 10) {
      throw new IOException("truncated Arrow IPC file: no footer");
    }
    metadata = parseFooter(rest, rest.length).metadata();
    if (!metadata.checksum().equals(actual)) {
      throw new IOException("checksum mismatch: the footer says " + metadata.checksum() + ", the data is " + actual
          + " (the object is corrupt)");
    }
  }

  /** The flight's metadata; available once {@link #next} has returned null (and the checksum matched). */
  public DurableMetadata metadata() {
    if (metadata == null) {
      throw new IllegalStateException("metadata is known at the end of the file");
    }
    return metadata;
  }

  /** Schema and metadata from the last bytes of a file. */
  public record Footer(Schema schema, DurableMetadata metadata, int footerLength) {}

  /**
   * Parses the footer from {@code tail}, the last {@code length} bytes of a file. Returns null if
   * {@code tail} is too short to hold the footer; {@link #footerLength(byte[])} tells how much is needed.
   */
  public static Footer parseFooter(byte[] tail, int length) throws IOException {
    int footerLength = footerLength(tail);
    if (footerLength + 10 > length) {
      return null;
    }
    ByteBuffer fb = ByteBuffer.wrap(tail, length - 10 - footerLength, footerLength).slice().order(ByteOrder.LITTLE_ENDIAN);
    ArrowFooter footer = new ArrowFooter(org.apache.arrow.flatbuf.Footer.getRootAsFooter(fb));
    try {
      return new Footer(footer.getSchema(), DurableMetadata.fromMap(footer.getMetaData()), footerLength);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The footer's length, from the 10 bytes at the end of {@code tail}. */
  public static int footerLength(byte[] tail) throws IOException {
    int n = tail.length;
    if (n < 10 || !Arrays.equals(Arrays.copyOfRange(tail, n - 6, n), ArrowFiles.MAGIC)) {
      throw new IOException("not an Arrow IPC file (no trailing ARROW1 magic)");
    }
    int footerLength = ByteBuffer.wrap(tail, n - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (footerLength <= 0) {
      throw new IOException("bad Arrow footer length " + footerLength);
    }
    return footerLength;
  }

  private void readFully(byte[] b) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(b);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer) < 0) {
        throw new IOException("truncated Arrow IPC file");
      }
    }
  }

  @Override
  public void close() throws IOException {
    stream.close();
  }

  /** Reads from a stream through a heap chunk, keeping a CRC32C of what it read while {@code counting}. */
  private static final class CrcChannel implements ReadableByteChannel {
    private final InputStream stream;
    private final CRC32C crc = new CRC32C();
    private final byte[] chunk = new byte[256 << 10];
    private boolean counting = true;

    CrcChannel(InputStream stream) {
      this.stream = stream;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int n = stream.read(chunk, 0, Math.min(chunk.length, dst.remaining()));
      if (n > 0) {
        if (counting) {
          crc.update(chunk, 0, n);
        }
        dst.put(chunk, 0, n);
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }
}
