package dev.hangar.tiers.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.KeyValue;

/**
 * Writes a flight as an Arrow IPC file: magic, the schema message, every message exactly as the client
 * sent it (header bytes unchanged, bodies still compressed), an end-of-stream marker, then the footer.
 * The footer's schema is the client's own Schema table, embedded byte for byte, so no type is lost in
 * translation; its custom metadata carries Hangar's keys, the schema message and each message's
 * app_metadata. Any Arrow IPC file reader reads it, and any stream reader reads it from byte 8.
 * (The IPC file format has no dictionary replacement: a flight whose dictionaries are replaced, not
 * extended, reads back only as a stream. See the README.)
 */
public final class MessageFileWriter {
  /** The magic that opens and closes an Arrow IPC file. */
  public static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
  /** Footer key: the schema message's flatbuffer, base64. */
  public static final String SCHEMA_KEY = "hangar.schema_message";
  /** Footer key: app_metadata per message, as {@code index=base64} joined by commas (0 is the schema). */
  public static final String APP_METADATA_KEY = "hangar.app_metadata";

  private static final byte[] ZEROS = new byte[8];

  private final WritableByteChannel out;
  private final FlightSchema schema;
  private final List<long[]> dictionaries = new ArrayList<>();
  private final List<long[]> batches = new ArrayList<>();
  private final StringBuilder appMetadata = new StringBuilder();
  private long position;
  private int messages;
  private boolean ended;
  private final ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

  public MessageFileWriter(WritableByteChannel out, FlightSchema schema) throws IOException {
    this.out = out;
    this.schema = schema;
    write(ByteBuffer.wrap(MAGIC));
    write(ByteBuffer.wrap(ZEROS, 0, 2));
    writeHeader(schema.message());
    noteAppMetadata(schema.appMetadata());
  }

  /** Bytes written so far. */
  public long position() {
    return position;
  }

  /** The bytes {@code message} will add to the file. */
  public static long sizeOf(Message message) {
    return message.ipcBytes();
  }

  /** Writes {@code message} (leaving it open: the caller closes it). */
  public void append(Message message) throws IOException {
    long offset = position;
    int metadata = writeHeader(message.header().bytes());
    if (message.body() != null) {
      message.body().writeTo(counting());
    }
    long body = message.bodyLength();
    long padding = Messages.pad8(body) - body;
    if (padding > 0) {
      write(ByteBuffer.wrap(ZEROS, 0, (int) padding));
    }
    long[] block = {offset, metadata, body};
    (message.header().kind() == MessageKind.DICTIONARY_BATCH ? dictionaries : batches).add(block);
    noteAppMetadata(message.appMetadata());
  }

  private void noteAppMetadata(byte[] bytes) {
    if (bytes != null) {
      appMetadata.append(appMetadata.length() == 0 ? "" : ",").append(messages).append('=')
          .append(Base64.getEncoder().encodeToString(bytes));
    }
    messages++;
  }

  /** Writes prefix, flatbuffer and padding; returns the block's metadata length (prefix included). */
  private int writeHeader(byte[] header) throws IOException {
    int padded = Messages.paddedMetadataLength(header.length);
    prefix.clear();
    prefix.putInt(Messages.CONTINUATION).putInt(padded).flip();
    write(prefix);
    write(ByteBuffer.wrap(header));
    if (padded > header.length) {
      write(ByteBuffer.wrap(ZEROS, 0, padded - header.length));
    }
    return 8 + padded;
  }

  /** Writes the end-of-stream marker (once); {@link #finish} does it if not done yet. */
  public void endStream() throws IOException {
    if (!ended) {
      ended = true;
      prefix.clear();
      prefix.putInt(Messages.CONTINUATION).putInt(0).flip();
      write(prefix);
    }
  }

  /** Ends the file: end-of-stream marker, footer with {@code metadata} and Hangar's own keys, trailing magic. */
  public void finish(Map<String, String> metadata) throws IOException {
    endStream();
    Map<String, String> all = new LinkedHashMap<>(metadata);
    all.put(SCHEMA_KEY, Base64.getEncoder().encodeToString(schema.message()));
    if (appMetadata.length() > 0) {
      all.put(APP_METADATA_KEY, appMetadata.toString());
    }
    byte[] footer = footer(all);
    write(ByteBuffer.wrap(footer));
    prefix.clear();
    prefix.putInt(footer.length).flip();
    write(prefix);
    write(ByteBuffer.wrap(MAGIC));
  }

  private byte[] footer(Map<String, String> metadata) {
    FlatBufferBuilder b = new FlatBufferBuilder(1024 + schema.message().length);
    byte[] message = schema.message();
    b.startVector(1, message.length, 8);
    for (int i = message.length - 1; i >= 0; i--) {
      b.putByte(message[i]);
    }
    int embedded = b.endVector();
    int schemaOffset = embedded - 4 - schema.schemaTablePosition();
    int dicts = blocks(b, dictionaries);
    int records = blocks(b, batches);
    int[] kvs = new int[metadata.size()];
    int k = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      int key = b.createString(e.getKey());
      int value = b.createString(e.getValue());
      kvs[k++] = KeyValue.createKeyValue(b, key, value);
    }
    int custom = Footer.createCustomMetadataVector(b, kvs);
    Footer.startFooter(b);
    Footer.addVersion(b, (short) Messages.METADATA_V5);
    Footer.addSchema(b, schemaOffset);
    Footer.addDictionaries(b, dicts);
    Footer.addRecordBatches(b, records);
    Footer.addCustomMetadata(b, custom);
    b.finish(Footer.endFooter(b));
    return b.sizedByteArray();
  }

  private static int blocks(FlatBufferBuilder b, List<long[]> blocks) {
    Footer.startRecordBatchesVector(b, blocks.size());
    for (int i = blocks.size() - 1; i >= 0; i--) {
      long[] block = blocks.get(i);
      Block.createBlock(b, block[0], (int) block[1], block[2]);
    }
    return b.endVector();
  }

  private WritableByteChannel counting() {
    return new WritableByteChannel() {
      @Override
      public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        MessageFileWriter.this.write(src);
        return n;
      }

      @Override
      public boolean isOpen() {
        return true;
      }

      @Override
      public void close() {}
    };
  }

  private void write(ByteBuffer src) throws IOException {
    int n = src.remaining();
    while (src.hasRemaining()) {
      out.write(src);
    }
    position += n;
  }
}
