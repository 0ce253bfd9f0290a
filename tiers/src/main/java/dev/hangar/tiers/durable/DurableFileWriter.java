package dev.hangar.tiers.durable;

import dev.hangar.tiers.ArrowFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes a flight as an Arrow IPC file to a stream: magic, schema, batches, an end-of-stream
 * marker, then a footer whose custom metadata is the flight's {@link DurableMetadata}. The file is
 * readable by any Arrow IPC file reader, and sequentially as an IPC stream after its first 8 bytes.
 * Batches are copied out (not taken over), in chunks, so the caller keeps its data.
 */
public final class DurableFileWriter {
  private final Schema schema;
  private final CrcChannel channel;
  private final WriteChannel out;
  private final List<ArrowBlock> blocks = new ArrayList<>();
  private long rows;
  private long bodyBytes;

  public DurableFileWriter(OutputStream stream, Schema schema) throws IOException {
    this.schema = schema;
    this.channel = new CrcChannel(stream);
    this.out = new WriteChannel(channel);
    ArrowFiles.writeStart(out, schema);
  }

  public void append(ArrowRecordBatch batch) throws IOException {
    blocks.add(MessageSerializer.serialize(out, batch));
    rows += batch.getLength();
    bodyBytes += batch.computeBodyLength();
  }

  /** Ends the file; returns the metadata written into its footer. Flushes but does not close the stream. */
  public DurableMetadata finish(String path, Instant committedAt, Optional<Duration> ttl, Optional<Instant> expiresAt)
      throws IOException {
    out.writeIntLittleEndian(MessageSerializer.IPC_CONTINUATION_TOKEN);
    out.writeIntLittleEndian(0);
    String checksum = "crc32c:" + HexFormat.of().toHexDigits((int) channel.crc.getValue());
    channel.counting = false;
    DurableMetadata meta = new DurableMetadata(path, rows, bodyBytes, blocks.size(), committedAt, ttl, expiresAt, checksum);
    ArrowFiles.writeEnd(out, new ArrowFooter(schema, List.of(), blocks, meta.toMap()));
    channel.flush();
    return meta;
  }

  public long rows() {
    return rows;
  }

  /** Passes bytes to a stream in chunks, keeping a CRC32C of them while {@code counting}. */
  private static final class CrcChannel implements WritableByteChannel {
    private static final int CHUNK = 256 << 10;
    private final OutputStream stream;
    private final CRC32C crc = new CRC32C();
    private final byte[] chunk = new byte[CHUNK];
    private boolean counting = true;

    CrcChannel(OutputStream stream) {
      this.stream = stream;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      int n = src.remaining();
      if (src.hasArray()) {
        write(src.array(), src.arrayOffset() + src.position(), n);
        src.position(src.limit());
        return n;
      }
      while (src.hasRemaining()) { // off-heap: copy out in chunks, checksumming the copy while it is hot
        int len = Math.min(CHUNK, src.remaining());
        src.get(chunk, 0, len);
        write(chunk, 0, len);
      }
      return n;
    }

    private void write(byte[] bytes, int offset, int length) throws IOException {
      if (counting) {
        crc.update(bytes, offset, length);
      }
      stream.write(bytes, offset, length);
    }

    void flush() throws IOException {
      stream.flush();
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }
}
