package dev.hangar.server.sql;

import dev.hangar.storage.FlightLease;
import dev.hangar.tiers.BatchCursor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One scan of a leased flight, as the {@link ArrowReader} that {@code Data.exportArrayStream}
 * hands to DuckDB. Batches share the tier's buffers (the export retains them); the lease, owned by
 * the query, keeps the version alive however long DuckDB holds them. Closing the reader closes
 * only the cursor.
 */
final class LeaseReader extends ArrowReader {
  private final Schema schema;
  private final BatchCursor cursor;

  LeaseReader(BufferAllocator allocator, FlightLease lease) {
    super(allocator);
    this.schema = lease.summary().schema();
    this.cursor = lease.cursor();
  }

  @Override
  public boolean loadNextBatch() throws java.io.IOException {
    prepareLoadNextBatch();
    return cursor.loadNext(getVectorSchemaRoot());
  }

  @Override
  public long bytesRead() {
    return 0;
  }

  @Override
  protected void closeReadSource() {
    cursor.close();
  }

  @Override
  protected Schema readSchema() {
    return schema;
  }
}
