package dev.hangar.storage.durability;

import dev.hangar.config.StorageType;
import dev.hangar.storage.StorageClass;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.durable.DurableFileReader;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A durable flight read straight from its store, for one reader, when no tier has room to restore
 * it. It holds no tier bytes; each cursor is one front-to-back read of the object, and its last
 * step checks the checksum (a corrupt object fails the read at the end).
 */
public class DurableStreamFlight implements StoredFlight {
  final Durables durables;
  final StorageClass sc;
  final String path;
  final Durables.Described described;

  public DurableStreamFlight(Durables durables, StorageClass sc, String path, Durables.Described described) {
    this.durables = durables;
    this.sc = sc;
    this.path = path;
    this.described = described;
  }

  @Override
  public StorageType storageType() {
    return null;
  }

  @Override
  public FlightSchema schema() {
    return described.schema();
  }

  @Override
  public long rows() {
    return described.meta().rows();
  }

  @Override
  public int batches() {
    return described.meta().batches();
  }

  @Override
  public long bytes() {
    return 0;
  }

  @Override
  public long bodyBytes() {
    return described.meta().bodyBytes();
  }

  @Override
  public MessageCursor cursor() {
    DurableFileReader reader = durables.open(sc, path, described);
    return new MessageCursor() {
      @Override
      public Message next() {
        try {
          return reader.next();
        } catch (IOException e) {
          throw durables.corrupt(sc, path, e);
        }
      }

      @Override
      public void close() {
        try {
          reader.close();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  @Override
  public void copyTo(FlightWriter writer) {
    throw new UnsupportedOperationException("a streamed durable flight is read once, not copied");
  }

  @Override
  public void free() {}
}
