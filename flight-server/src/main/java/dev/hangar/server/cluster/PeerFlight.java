package dev.hangar.server.cluster;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.HeapBody;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import dev.hangar.tiers.ipc.MessageValidator;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.util.Iterator;
import org.apache.arrow.flight.impl.Flight;

/**
 * A flight another node holds, read through a DoGet to that node, for a reader on this node (SQL over
 * a flight placed elsewhere). It holds nothing here: each cursor is one stream from the peer, and
 * nothing of it is cached in this node's tiers. The peer checked every message when the flight was
 * put; the headers are checked again here, against the schema, before anything decodes them.
 */
final class PeerFlight implements StoredFlight {
  private final Peers peers;
  private final Member source;
  private final String path;
  private final FlightSchema schema;
  private Stream first; // the stream opened to read the schema, handed to the first cursor

  private PeerFlight(Peers peers, Member source, String path, Stream first) {
    this.peers = peers;
    this.source = source;
    this.path = path;
    this.first = first;
    this.schema = first.schema;
  }

  /**
   * Opens {@code path} at {@code source} and reads its schema (rows and sizes are not known here: a
   * reader streams the messages).
   *
   * @throws StatusRuntimeException as the peer answered (NOT_FOUND if it does not have the flight)
   */
  static PeerFlight open(Peers peers, Member source, String path) {
    return new PeerFlight(peers, source, path, Stream.start(peers, source, path));
  }

  @Override
  public StorageType storageType() {
    return null;
  }

  @Override
  public FlightSchema schema() {
    return schema;
  }

  @Override
  public long rows() {
    return -1;
  }

  @Override
  public int batches() {
    return -1;
  }

  @Override
  public long bytes() {
    return 0; // holds no tier bytes on this node
  }

  @Override
  public long bodyBytes() {
    return 0;
  }

  @Override
  public synchronized MessageCursor cursor() {
    Stream s = first != null ? first : Stream.start(peers, source, path);
    first = null;
    return s;
  }

  @Override
  public void copyTo(FlightWriter writer) {
    throw new UnsupportedOperationException("a flight read from another node is streamed, not copied");
  }

  @Override
  public synchronized void free() {
    if (first != null) {
      first.close();
      first = null;
    }
  }

  /** One DoGet from the peer: the schema read at once, then the messages one by one. */
  private static final class Stream implements MessageCursor {
    private final ClientCall<Flight.Ticket, byte[]> call;
    private final Iterator<byte[]> frames;
    private final FlightSchema schema;
    private final MessageValidator validator;
    private final String path;
    private boolean ended;

    private Stream(ClientCall<Flight.Ticket, byte[]> call, Iterator<byte[]> frames, FlightSchema schema, String path) {
      this.call = call;
      this.frames = frames;
      this.schema = schema;
      this.validator = new MessageValidator(schema);
      this.path = path;
    }

    static Stream start(Peers peers, Member source, String path) {
      ClientCall<Flight.Ticket, byte[]> call = peers.doGet(source);
      Iterator<byte[]> frames = ClientCalls.blockingServerStreamingCall(call,
          Flight.Ticket.newBuilder().setTicket(com.google.protobuf.ByteString.copyFromUtf8(path)).build());
      try {
        if (!frames.hasNext()) {
          throw Status.DATA_LOSS.withDescription("node " + source.id() + " sent no schema for \"" + path + "\"").asRuntimeException();
        }
        Flight.FlightData d = Flight.FlightData.parseFrom(frames.next());
        return new Stream(call, frames, FlightSchema.parse(d.getDataHeader().toByteArray(),
            d.getAppMetadata().isEmpty() ? null : d.getAppMetadata().toByteArray()), path);
      } catch (com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
        call.cancel("schema unreadable", e);
        if (e instanceof StatusRuntimeException s) {
          throw s;
        }
        throw Status.DATA_LOSS.withDescription("node " + source.id() + " sent a schema for \"" + path + "\" this node cannot read")
            .asRuntimeException();
      }
    }

    @Override
    public Message next() {
      if (ended) {
        return null;
      }
      if (!frames.hasNext()) {
        ended = true;
        return null;
      }
      Flight.FlightData d;
      try {
        d = Flight.FlightData.parseFrom(frames.next());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        close();
        throw Status.DATA_LOSS.withDescription("a message of \"" + path + "\" from another node is not FlightData").asRuntimeException();
      }
      byte[] body = d.getDataBody().toByteArray();
      return new Message(validator.check(d.getDataHeader().toByteArray(), body.length),
          d.getAppMetadata().isEmpty() ? null : d.getAppMetadata().toByteArray(), body.length == 0 ? null : new HeapBody(body));
    }

    @Override
    public void close() {
      if (!ended) {
        ended = true;
        call.cancel("the reader is done", null);
      }
    }
  }
}
