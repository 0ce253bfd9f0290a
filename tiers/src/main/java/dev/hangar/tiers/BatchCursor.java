package dev.hangar.tiers;

import org.apache.arrow.vector.VectorSchemaRoot;

/** Reads a stored flight batch by batch into a caller's root. */
public interface BatchCursor extends AutoCloseable {
  /**
   * Loads the next batch into {@code root}, replacing what it held; returns false at the end. The
   * root's buffers share memory with the tier where the tier allows it: they stay valid while the
   * root holds them.
   */
  boolean loadNext(VectorSchemaRoot root);

  @Override
  void close();
}
