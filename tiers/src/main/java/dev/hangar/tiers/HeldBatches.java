package dev.hangar.tiers;

import java.util.List;
import java.util.function.BooleanSupplier;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/** Reading and copying a flight whose batches are held as Arrow buffers (memory, or mapped). */
public final class HeldBatches {
  private HeldBatches() {}

  /** A cursor that loads each held batch into the reader's root, sharing its buffers (no copy). */
  public static BatchCursor cursor(List<ArrowRecordBatch> batches, BooleanSupplier freed) {
    return new BatchCursor() {
      private int next;
      private VectorLoader loader;
      private VectorSchemaRoot loaderRoot;

      @Override
      public boolean loadNext(VectorSchemaRoot root) {
        if (freed.getAsBoolean()) {
          throw new IllegalStateException("Cannot read a freed flight");
        }
        if (next >= batches.size()) {
          return false;
        }
        if (loaderRoot != root) {
          loader = new VectorLoader(root);
          loaderRoot = root;
        }
        loader.load(batches.get(next++));
        return true;
      }

      @Override
      public void close() {}
    };
  }

  /** Appends every held batch to {@code writer} as a second set of references it owns (and closes). */
  public static void copyTo(List<ArrowRecordBatch> batches, FlightWriter writer) {
    for (ArrowRecordBatch b : batches) {
      writer.append(new ArrowRecordBatch(b.getLength(), b.getNodes(), b.getBuffers(), b.getBodyCompression(), b.getVariadicBufferCounts(), true));
    }
  }
}
