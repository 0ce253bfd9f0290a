package dev.hangar.tiers;

import dev.hangar.tiers.ipc.DecodingReader;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.MessageCursor;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/** For tests: decodes a stored flight's messages batch by batch into the test's own root. */
public final class BatchCursor implements AutoCloseable {
  private final MessageCursor cursor;
  private final FlightSchema schema;
  private DecodingReader reader;

  private BatchCursor(MessageCursor cursor, FlightSchema schema) {
    this.cursor = cursor;
    this.schema = schema;
  }

  public static BatchCursor of(MessageCursor cursor, FlightSchema schema) {
    return new BatchCursor(cursor, schema);
  }

  public static BatchCursor of(StoredFlight flight) {
    return new BatchCursor(flight.cursor(), flight.schema());
  }

  /** Loads the next record batch into {@code root} (a copy of references), false at the end. */
  public boolean loadNext(VectorSchemaRoot root) {
    try {
      if (reader == null) {
        reader = new DecodingReader(root.getFieldVectors().get(0).getAllocator(), schema, cursor);
      }
      if (!reader.loadNextBatch()) {
        return false;
      }
      try (ArrowRecordBatch batch = new VectorUnloader(reader.getVectorSchemaRoot()).getRecordBatch()) {
        new VectorLoader(root).load(batch);
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      if (reader != null) {
        reader.close();
      } else {
        cursor.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
