package dev.hangar.tiers;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A {@link BatchCursor} as an {@link ArrowReader}, e.g. for {@code Data.exportArrayStream} to hand
 * stored batches to DuckDB. Batches share the cursor's buffers (an export retains them); whoever
 * owns the stored copy keeps it alive while the reader is used. Closing the reader closes only the
 * cursor.
 */
public final class CursorReader extends ArrowReader {
  private final Schema schema;
  private final BatchCursor cursor;

  public CursorReader(BufferAllocator allocator, Schema schema, BatchCursor cursor) {
    super(allocator);
    this.schema = schema;
    this.cursor = cursor;
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
