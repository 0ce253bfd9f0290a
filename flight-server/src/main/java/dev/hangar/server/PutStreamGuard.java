package dev.hangar.server;

import dev.hangar.storage.InvalidUploadException;
import java.lang.reflect.Field;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detects a second schema message in a DoPut. Arrow Java's {@link FlightStream} (18.x) answers one
 * by loading later batches into a new private root while {@code getRoot()} keeps returning the
 * first, now empty, one: a server that read {@code getRoot()} would silently store empty batches.
 * The guard compares the stream's current root with the first after every batch.
 */
final class PutStreamGuard {
  private static final Logger LOG = LoggerFactory.getLogger(PutStreamGuard.class);
  private static final Field CURRENT_ROOT = currentRootField();

  private final FlightStream stream;
  private final VectorSchemaRoot first;

  PutStreamGuard(FlightStream stream, VectorSchemaRoot first) {
    this.stream = stream;
    this.first = first;
  }

  /**
   * Advances the stream, like {@link FlightStream#next()}, but reports a schema change as such: after
   * one, batches still queued are loaded by the new schema's loader and may fail in confusing ways.
   */
  boolean next(String path) {
    boolean more;
    try {
      more = stream.next();
    } catch (RuntimeException e) {
      check(path);
      throw e;
    }
    check(path);
    return more;
  }

  /** Throws {@link InvalidUploadException} if the client has sent a new schema since the first. */
  void check(String path) {
    if (CURRENT_ROOT == null) {
      return;
    }
    VectorSchemaRoot current;
    try {
      current = (VectorSchemaRoot) CURRENT_ROOT.get(stream);
    } catch (IllegalAccessException e) {
      return;
    }
    if (current != null && current != first) {
      // FlightStream closes only its current root; the first is orphaned and may still hold a batch.
      String started = first.getSchema().toString();
      first.close();
      throw new InvalidUploadException(
          "Cannot store flight \"%s\": the schema changed mid-stream (a flight has one schema; started with %s, then got %s)",
          path, started, current.getSchema());
    }
  }

  private static Field currentRootField() {
    try {
      Field f = FlightStream.class.getDeclaredField("fulfilledRoot");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("Cannot detect schema changes in DoPut streams with this Arrow version ({}); uploads that change schema mid-stream are not rejected", e.toString());
      return null;
    }
  }
}
