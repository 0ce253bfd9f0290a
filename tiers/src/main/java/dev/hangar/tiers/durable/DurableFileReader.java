package dev.hangar.tiers.durable;

import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.InvalidMessageException;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageFileWriter;
import dev.hangar.tiers.ipc.MessageHeader;
import dev.hangar.tiers.ipc.MessageValidator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Reads a durable flight file front to back from a stream (one S3 GET, or one file), message by
 * message, and checks at the end that the bytes match the footer's checksum. Every header is checked
 * again as on upload. A message handed out before the end is not yet verified: callers commit nothing
 * until {@link #next} has returned null.
 */
public final class DurableFileReader implements AutoCloseable {
  private static final int MAX_HEADER = 64 << 20;

  private final InputStream stream;
  private final BufferAllocator allocator;
  private final CrcChannel channel;
  private final FlightSchema schema;
  private final MessageValidator validator;
  private final Map<Integer, byte[]> appMetadata;
  private final ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
  private int index;
  private DurableMetadata metadata;

  /**
   * @param appMetadata each message's app_metadata by index, from the footer read beforehand ({@link
   *     Footer#appMetadata()}); the stream reaches the footer only at its end
   */
  public DurableFileReader(InputStream stream, BufferAllocator allocator, Map<Integer, byte[]> appMetadata) throws IOException {
    this.stream = stream;
    this.allocator = allocator;
    this.appMetadata = appMetadata;
    this.channel = new CrcChannel(stream);
    byte[] magic = new byte[8];
    readFully(ByteBuffer.wrap(magic));
    if (!Arrays.equals(Arrays.copyOf(magic, 6), MessageFileWriter.MAGIC)) {
      throw new IOException("not an Arrow IPC file (no ARROW1 magic)");
    }
    byte[] header = readHeader();
    if (header == null) {
      throw new IOException("Arrow IPC file does not start with a schema");
    }
    try {
      this.schema = FlightSchema.parse(header, appMetadata.get(0));
    } catch (InvalidMessageException e) {
      throw new IOException("bad schema: " + e.getMessage(), e);
    }
    this.validator = new MessageValidator(schema);
  }

  public FlightSchema schema() {
    return schema;
  }

  /** The next header's flatbuffer, or null at the end-of-stream marker. */
  private byte[] readHeader() throws IOException {
    prefix.clear();
    readFully(prefix);
    prefix.flip();
    int first = prefix.getInt();
    int length = prefix.getInt();
    if (first != 0xFFFFFFFF) {
      throw new IOException("bad message prefix (Hangar writes the continuation marker before every message)");
    }
    if (length == 0) {
      return null;
    }
    if (length < 0 || length > MAX_HEADER) {
      throw new IOException("bad message header length " + length);
    }
    byte[] header = new byte[length];
    readFully(ByteBuffer.wrap(header));
    return header;
  }

  /** The next message (its body allocated from the reader's allocator, owned by the caller), or null at the end. */
  public Message next() throws IOException {
    if (metadata != null) {
      return null;
    }
    byte[] header = readHeader();
    if (header == null) {
      finish();
      return null;
    }
    MessageHeader h;
    try {
      // the stored header is padded to 8 bytes; the flatbuffer is its prefix and verifies as such
      h = validator.check(header, bodyLengthOf(header));
    } catch (InvalidMessageException e) {
      throw new IOException("bad message: " + e.getMessage(), e);
    }
    int i = ++index;
    byte[] app = appMetadata.get(i);
    if (h.bodyLength() == 0) {
      return new Message(h, app, null);
    }
    ArrowBuf body = allocator.buffer(h.bodyLength());
    try {
      long done = 0;
      while (done < h.bodyLength()) {
        int n = (int) Math.min(h.bodyLength() - done, 1 << 30);
        readFully(body.nioBuffer(done, n));
        done += n;
      }
      long padding = ((h.bodyLength() + 7) & ~7L) - h.bodyLength();
      if (padding > 0) {
        readFully(ByteBuffer.allocate((int) padding));
      }
      return new Message(h, app, BufferBody.allocated(body, h.bodyLength()));
    } catch (IOException | RuntimeException e) {
      body.close();
      throw e;
    }
  }

  /** The body length a header declares (checked against the header again by the validator). */
  private static long bodyLengthOf(byte[] header) {
    try {
      ByteBuffer bb = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
      return org.apache.arrow.flatbuf.Message.getRootAsMessage(bb).bodyLength();
    } catch (RuntimeException e) {
      return -1; // the validator names the problem
    }
  }

  private void finish() throws IOException {
    String actual = "crc32c:" + HexFormat.of().toHexDigits((int) channel.crc.getValue());
    channel.counting = false;
    byte[] rest = stream.readAllBytes();
    if (rest.length < 10) {
      throw new IOException("truncated Arrow IPC file: no footer");
    }
    Footer footer = parseFooter(rest, rest.length);
    if (footer == null) {
      throw new IOException("truncated Arrow IPC file: the footer is cut short");
    }
    metadata = footer.metadata();
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

  /** What a durable file's footer says: its schema, Hangar's metadata and each message's app_metadata. */
  public record Footer(FlightSchema schema, DurableMetadata metadata, Map<Integer, byte[]> appMetadata, int footerLength) {}

  /**
   * Parses the footer from {@code tail}, the last {@code length} bytes of a file. Returns null if
   * {@code tail} is too short to hold the footer; {@link #footerLength(byte[])} tells how much is needed.
   */
  public static Footer parseFooter(byte[] tail, int length) throws IOException {
    int footerLength = footerLength(tail);
    if (footerLength + 10 > length) {
      return null;
    }
    Map<String, String> custom = new LinkedHashMap<>();
    try {
      ByteBuffer fb = ByteBuffer.wrap(tail, length - 10 - footerLength, footerLength).slice().order(ByteOrder.LITTLE_ENDIAN);
      org.apache.arrow.flatbuf.Footer footer = org.apache.arrow.flatbuf.Footer.getRootAsFooter(fb);
      for (int i = 0; i < footer.customMetadataLength(); i++) {
        custom.put(footer.customMetadata(i).key(), footer.customMetadata(i).value());
      }
    } catch (RuntimeException e) {
      throw new IOException("unreadable Arrow footer", e);
    }
    try {
      Map<Integer, byte[]> app = decodeAppMetadata(custom.get(MessageFileWriter.APP_METADATA_KEY));
      String schema = custom.get(MessageFileWriter.SCHEMA_KEY);
      if (schema == null) {
        throw new IllegalArgumentException(MessageFileWriter.SCHEMA_KEY + " is missing");
      }
      FlightSchema s = FlightSchema.parse(Base64.getDecoder().decode(schema), app.get(0));
      return new Footer(s, DurableMetadata.fromMap(custom), app, footerLength);
    } catch (IllegalArgumentException | InvalidMessageException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static Map<Integer, byte[]> decodeAppMetadata(String value) {
    Map<Integer, byte[]> out = new HashMap<>();
    if (value == null || value.isEmpty()) {
      return out;
    }
    for (String entry : value.split(",")) {
      int eq = entry.indexOf('=');
      out.put(Integer.parseInt(entry.substring(0, eq)), Base64.getDecoder().decode(entry.substring(eq + 1)));
    }
    return out;
  }

  /** The footer's length, from the 10 bytes at the end of {@code tail}. */
  public static int footerLength(byte[] tail) throws IOException {
    int n = tail.length;
    if (n < 10 || !Arrays.equals(Arrays.copyOfRange(tail, n - 6, n), MessageFileWriter.MAGIC)) {
      throw new IOException("not an Arrow IPC file (no trailing ARROW1 magic)");
    }
    int footerLength = ByteBuffer.wrap(tail, n - 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (footerLength <= 0) {
      throw new IOException("bad Arrow footer length " + footerLength);
    }
    return footerLength;
  }

  private void readFully(ByteBuffer buffer) throws IOException {
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
