package dev.hangar.storage;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.BatchCursor;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.durable.DurableFileReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A durable flight read straight from its store, for one reader, when no tier has room to restore
 * it. It holds no tier bytes; each cursor is one front-to-back read of the object, and its last
 * step checks the checksum (a corrupt object fails the read at the end).
 */
class DurableStreamFlight implements StoredFlight {
  final Durables durables;
  final StorageClass sc;
  final String path;
  final Durables.Described described;

  DurableStreamFlight(Durables durables, StorageClass sc, String path, Durables.Described described) {
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
  public Schema schema() {
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
  public BatchCursor cursor() {
    DurableFileReader reader = durables.open(sc, path);
    return new BatchCursor() {
      @Override
      public boolean loadNext(VectorSchemaRoot root) {
        try {
          ArrowRecordBatch batch = reader.next();
          if (batch == null) {
            return false;
          }
          try (batch) {
            new VectorLoader(root).load(batch);
          }
          return true;
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
