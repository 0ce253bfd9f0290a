package dev.hangar.tiers.disk;

import dev.hangar.tiers.ArrowFiles;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes a flight as an Arrow IPC file (magic, schema, batches, footer) under a temporary name;
 * commit renames it. Each batch's bytes are reserved before it is written; once written, the
 * reservation is trued up to what the file really grew by.
 */
final class IpcFileWriter implements FlightWriter {
  /** Reserved beyond a batch's metadata and body for alignment; trued up after the write. */
  private static final int SLACK = 64;

  private final DiskTier tier;
  private final Path file;
  private final Path temp;
  private final Schema schema;
  private final Tier.Reserver reserver;
  private final List<ArrowBlock> blocks = new ArrayList<>();
  private FileChannel channel;
  private WriteChannel out;
  private long reserved;
  private long rows;
  private long bodyBytes;
  private boolean finished;

  IpcFileWriter(DiskTier tier, Path file, Path temp, Schema schema, Tier.Reserver reserver) {
    this.tier = tier;
    this.file = file;
    this.temp = temp;
    this.schema = schema;
    this.reserver = reserver;
    long header = 8 + MessageSerializer.serializeMetadata(schema).remaining() + SLACK;
    reserve(header);
    try {
      channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      out = new WriteChannel(channel);
      ArrowFiles.writeStart(out, schema);
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
    long size = out.getCurrentPosition();
    if (size > reserved) {
      reserve(size - reserved);
    } else if (size < reserved) {
      tier.capacity().release(reserved - size);
      reserved = size;
    }
  }

  @Override
  public void append(ArrowRecordBatch batch) {
    try (batch) {
      if (finished) {
        throw new IllegalStateException("Cannot append to a finished upload");
      }
      long metadata = MessageSerializer.serializeMetadata(batch).remaining();
      reserve(8 + metadata + batch.computeBodyLength() + SLACK);
      try {
        blocks.add(MessageSerializer.serialize(out, batch));
      } catch (IOException e) {
        throw failure("write a batch of", e);
      }
      rows += batch.getLength();
      bodyBytes += batch.computeBodyLength();
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
      reserve(WriteChannel.serialize(new ArrowFooter(schema, List.of(), blocks)).remaining() + 16L + SLACK);
      ArrowFiles.writeEnd(out, new ArrowFooter(schema, List.of(), blocks));
      trueUp();
      channel.close();
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException | RuntimeException e) {
      abort();
      throw failure("finish", e);
    }
    finished = true;
    return IpcFileFlight.open(tier, file, schema, List.copyOf(blocks), rows, reserved, bodyBytes);
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
