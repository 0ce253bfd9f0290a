package dev.hangar.storage.durability;

import dev.hangar.storage.StorageClass;
import dev.hangar.storage.StorageException;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.durable.DurableFileReader;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import java.io.IOException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * A durable flight read from its store by one reader and, message by message as that reader goes,
 * written into a tier: the reader does not wait for the restore, and the object is read once. Each
 * message goes to the reader (with its own reference to the body) and to the tier writer. When the last batch is read and the checksum matched, the tier copy goes to {@code
 * restored} (which installs it, or frees it if the path moved on meanwhile). If the tier runs out of
 * room, the reader cancels, or the object is corrupt, the tier copy is dropped and nothing is
 * installed; the reader still gets every batch (or the error).
 */
public final class RestoringFlight extends DurableStreamFlight {
  private final Tier tier;
  private final Tier.Reserver reserver;
  private final LongConsumer charge;
  private final Consumer<StoredFlight> restored;
  private final Runnable done;

  /**
   * @param reserver makes room in the tier's storage type
   * @param charge charges each batch's body bytes to the flight's limit-policy scopes (evicting in
   *     them if it must); a {@link StorageException} from it ends the caching, not the read
   * @param done runs once the read is over, whatever happened
   */
  public RestoringFlight(Durables durables, StorageClass sc, String path, Durables.Described described, Tier tier, Tier.Reserver reserver,
      LongConsumer charge, Consumer<StoredFlight> restored, Runnable done) {
    super(durables, sc, path, described);
    this.tier = tier;
    this.reserver = reserver;
    this.charge = charge;
    this.restored = restored;
    this.done = done;
  }

  @Override
  public MessageCursor cursor() {
    DurableFileReader reader;
    try {
      reader = durables.open(sc, path, described);
    } catch (RuntimeException e) {
      done.run();
      throw e;
    }
    return new MessageCursor() {
      private FlightWriter writer = tier.newWriter(path, reader.schema(), reserver);
      private boolean closed;

      @Override
      public Message next() {
        Message m;
        try {
          m = reader.next();
        } catch (IOException e) {
          dropCopy();
          throw durables.corrupt(sc, path, e);
        } catch (RuntimeException e) {
          dropCopy();
          throw e;
        }
        if (m == null) { // the checksum matched
          if (writer != null) {
            FlightWriter w = writer;
            writer = null;
            restored.accept(w.commit());
          }
          return null;
        }
        if (writer != null) {
          try {
            charge.accept(m.bodyLength());
            writer.append(shared(m)); // the tier takes a second reference; the reader keeps m
          } catch (StorageException e) {
            writer.abort(); // no room left in the tier: go on streaming without caching
            writer = null;
          } catch (RuntimeException e) {
            m.close();
            dropCopy();
            throw e;
          }
        }
        return m;
      }

      /** A second handle on m's body for the tier writer, which closes it. */
      private Message shared(Message m) {
        if (m.body() == null) {
          return m;
        }
        m.bufferBody().buffer().getReferenceManager().retain();
        return new Message(m.header(), m.appMetadata(), new BufferBody(m.bufferBody().buffer(), m.bodyLength()));
      }

      private void dropCopy() {
        if (writer != null) {
          writer.abort();
          writer = null;
        }
      }

      @Override
      public void close() {
        if (closed) {
          return;
        }
        closed = true;
        try {
          dropCopy(); // a reader that stopped early leaves nothing behind
          reader.close();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        } finally {
          done.run();
        }
      }
    };
  }
}
