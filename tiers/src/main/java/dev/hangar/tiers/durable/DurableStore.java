package dev.hangar.tiers.durable;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Persistent object storage under the tiers: an S3 bucket or a directory. Objects are named by
 * slash-separated keys and written whole: an object is either absent, or complete as committed (a
 * reader never sees half of a write, and an overwrite replaces it in one step).
 *
 * <p>Every failure to reach the store is a {@link DurableStoreException} whose message names the
 * store, so an operator can tell which one is down. Implementations are thread-safe.
 */
public interface DurableStore extends AutoCloseable {
  /** The store's id in the config. */
  String id();

  /** A short description for messages, e.g. {@code s3 store "main" (bucket hangar at http://…)}. */
  String describe();

  /** Verifies at startup that the store exists and can be written; throws with the reason if not. */
  void check();

  /**
   * Throws {@link IllegalArgumentException}, saying why, if this store cannot hold an object named
   * {@code key} (too long a name), so a put can be refused before it starts.
   */
  void checkKey(String key);

  /** Starts writing {@code key}; nothing is visible until {@link ObjectUpload#commit()}. */
  ObjectUpload create(String key);

  /** Size and modification time of {@code key}, or empty if there is no such object. */
  Optional<ObjectInfo> head(String key);

  /** The whole object, streamed; empty if there is no such object. Close the stream when done. */
  Optional<InputStream> read(String key);

  /** {@code length} bytes of {@code key} from {@code offset}; the object must exist. */
  byte[] readRange(String key, long offset, int length);

  /** Every object whose key starts with {@code prefix}, in key order. */
  List<ObjectInfo> list(String prefix);

  /**
   * Hands every object whose key starts with {@code prefix} to {@code each} as the listing pages
   * arrive, in no promised order, holding one page at a time: what indexing a million objects
   * uses. An exception from {@code each} stops the walk and propagates.
   */
  void forEach(String prefix, java.util.function.Consumer<ObjectInfo> each);

  /** Deletes {@code key}; no error if it does not exist. */
  void delete(String key);

  /**
   * Removes what crashed writers left under {@code prefix} and started before {@code before}:
   * temporary files, or incomplete multipart uploads. Never visible as objects, they only take
   * space. Returns how many were removed.
   */
  int removeAbandonedWrites(String prefix, Instant before);

  @Override
  void close();

  /** One stored object. */
  record ObjectInfo(String key, long size, Instant lastModified) {}

  /** An object being written. Used by one thread. */
  interface ObjectUpload extends AutoCloseable {
    /** Where the object's bytes go. Do not close it: {@link #commit()} or {@link #abort()} does. */
    OutputStream stream();

    /**
     * Sends and makes durable everything written so far, so that {@link #commit()} is only the step
     * that makes the object visible (a multipart upload's complete, a rename). Optional: commit
     * does it too. Callers run it before taking the path's lock, and commit under it.
     */
    default void prepare() {}

    /** Makes the object visible, replacing any object under the same key, once it is durable. */
    void commit();

    /** Discards what was written. Idempotent; a no-op after commit. */
    void abort();

    @Override
    default void close() {
      abort();
    }
  }
}
