package dev.hangar.tiers.durable;

import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageFileWriter;
import dev.hangar.tiers.ipc.MessageKind;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * Writes a flight as an Arrow IPC file to a stream (see {@link MessageFileWriter}: the messages as the
 * client sent them), whose footer's custom metadata also holds the flight's {@link DurableMetadata}.
 * The file is readable by any Arrow IPC file reader, and sequentially as an IPC stream after its first
 * 8 bytes. Messages are copied out (the caller keeps them), in chunks.
 */
public final class DurableFileWriter {
  private final CrcChannel channel;
  private final MessageFileWriter out;
  private long rows;
  private long bodyBytes;
  private int batches;

  public DurableFileWriter(OutputStream stream, FlightSchema schema) throws IOException {
    this.channel = new CrcChannel(stream);
    this.out = new MessageFileWriter(channel, schema);
  }

  /** Writes {@code message}; the caller still owns (and closes) it. */
  public void append(Message message) throws IOException {
    out.append(message);
    if (message.header().kind() == MessageKind.RECORD_BATCH) {
      rows += message.header().rows();
      batches++;
    }
    bodyBytes += message.bodyLength();
  }

  /** Ends the file; returns the metadata written into its footer. Flushes but does not close the stream. */
  public DurableMetadata finish(String path, Instant committedAt, Optional<Duration> ttl, Optional<Instant> expiresAt)
      throws IOException {
    return finish(path, committedAt, ttl, expiresAt, Optional.empty());
  }

  /** Ends the file, recording the idempotency key of the put that wrote it (if any) in its footer. */
  public DurableMetadata finish(String path, Instant committedAt, Optional<Duration> ttl, Optional<Instant> expiresAt,
      Optional<String> idempotencyKey) throws IOException {
    out.endStream(); // the checksum covers everything before the footer, which names it
    String checksum = "crc32c:" + HexFormat.of().toHexDigits((int) channel.crc.getValue());
    channel.counting = false;
    DurableMetadata meta = new DurableMetadata(path, rows, bodyBytes, batches, committedAt, ttl, expiresAt, checksum, idempotencyKey);
    out.finish(meta.toMap());
    channel.flush();
    return meta;
  }

  public long rows() {
    return rows;
  }

  /** Bytes written so far (after {@link #finish}: the size of the whole file). */
  public long size() {
    return channel.written;
  }

  /** Passes bytes to a stream in chunks, keeping a CRC32C of them while {@code counting}. */
  private static final class CrcChannel implements WritableByteChannel {
    private static final int CHUNK = 256 << 10;
    private final OutputStream stream;
    private final CRC32C crc = new CRC32C();
    private final byte[] chunk = new byte[CHUNK];
    private boolean counting = true;
    private long written;

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
      written += length;
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
