package dev.hangar.tiers.disk;

import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageFileWriter;
import dev.hangar.tiers.ipc.MessageHeader;
import dev.hangar.tiers.ipc.MessageKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a flight as an Arrow IPC file (see {@link MessageFileWriter}) under a temporary name; commit
 * renames it. Each message's bytes are reserved before it is written; the footer's once it is built,
 * and the reservation is trued up to the file's real size.
 */
final class IpcFileWriter implements FlightWriter {
  /** Reserved for the footer beyond its blocks and schema; trued up after the write. */
  private static final int FOOTER_SLACK = 512;

  private final DiskTier tier;
  private final Path file;
  private final Path temp;
  private final FlightSchema schema;
  private final Tier.Reserver reserver;
  private final List<MessageHeader> headers = new ArrayList<>();
  private final List<byte[]> appMetadata = new ArrayList<>();
  private final List<Long> bodyOffsets = new ArrayList<>();
  private boolean anyAppMetadata;
  private FileChannel channel;
  private MessageFileWriter out;
  private long reserved;
  private long rows;
  private int batches;
  private long bodyBytes;
  private boolean finished;

  IpcFileWriter(DiskTier tier, Path file, Path temp, FlightSchema schema, Tier.Reserver reserver) {
    this.tier = tier;
    this.file = file;
    this.temp = temp;
    this.schema = schema;
    this.reserver = reserver;
    reserve(16 + schema.message().length);
    try {
      channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      out = new MessageFileWriter(channel, schema);
      trueUp();
    } catch (IOException | RuntimeException e) {
      abort();
      throw failure("start", e);
    }
  }

  private void reserve(long bytes) {
    reserver.reserve(tier.capacity(), bytes);
    reserved += bytes;
  }

  /** Adjusts the reservation to the file's real size (more if needed, the surplus back). */
  private void trueUp() {
    long size = out.position();
    if (size > reserved) {
      reserve(size - reserved);
    } else if (size < reserved) {
      tier.capacity().release(reserved - size);
      reserved = size;
    }
  }

  @Override
  public void append(Message message) {
    try (message) {
      if (finished) {
        throw new IllegalStateException("Cannot append to a finished upload");
      }
      reserve(message.ipcBytes());
      long start = out.position();
      try {
        out.append(message);
      } catch (IOException e) {
        throw failure("write a message of", e);
      }
      MessageHeader h = message.header();
      headers.add(h.stored());
      appMetadata.add(message.appMetadata());
      anyAppMetadata |= message.appMetadata() != null;
      bodyOffsets.add(start + 8 + ((h.bytes().length + 7) & ~7));
      if (h.kind() == MessageKind.RECORD_BATCH) {
        rows += h.rows();
        batches++;
      }
      bodyBytes += h.bodyLength();
      trueUp();
    }
  }

  @Override
  public long rows() {
    return rows;
  }

  @Override
  public long bytes() {
    return reserved;
  }

  @Override
  public StoredFlight commit() {
    if (finished) {
      throw new IllegalStateException("Cannot commit a finished upload");
    }
    try {
      reserve(24L * headers.size() + 2L * schema.message().length + FOOTER_SLACK);
      out.finish(Map.of());
      trueUp();
      channel.close();
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      abort();
      throw failure("finish", e);
    }
    finished = true;
    long[] offsets = new long[bodyOffsets.size()];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = bodyOffsets.get(i);
    }
    return IpcFileFlight.open(tier, file, schema, headers.toArray(new MessageHeader[0]),
        anyAppMetadata ? appMetadata.toArray(new byte[0][]) : null, offsets, rows, batches, reserved, bodyBytes);
  }

  @Override
  public void abort() {
    if (finished) {
      return;
    }
    finished = true;
    try {
      if (channel != null) {
        channel.close();
      }
      Files.deleteIfExists(temp);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot remove " + temp, e);
    } finally {
      tier.capacity().release(reserved);
      reserved = 0;
    }
  }

  private RuntimeException failure(String what, Exception e) {
    if (e instanceof RuntimeException r) {
      return r;
    }
    return new UncheckedIOException("Cannot " + what + " flight file " + temp + ": " + e.getMessage(), (IOException) e);
  }
}
