package dev.hangar.server.dataplane;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.hangar.server.CallTracker;
import dev.hangar.server.Errors;
import dev.hangar.server.Json;
import dev.hangar.config.AuthConfig.Access;
import dev.hangar.server.security.Grants;
import dev.hangar.storage.FlightPath;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.FlightSummary;
import dev.hangar.storage.Upload;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.InvalidMessageException;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageHeader;
import dev.hangar.tiers.ipc.MessageValidator;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One DoPut of a flight path: the first FlightData carries the descriptor and the schema, each later
 * one a dictionary or record batch. Every message is checked ({@link MessageValidator}) and stored as
 * it arrives, its body copied once from gRPC's receive buffers into the tier; the flight becomes
 * visible at the end of the stream. Anything wrong fails the put with nothing stored. Runs on the
 * call's executor; asks gRPC for the next message only once the last is stored (backpressure). A
 * Flight SQL bulk ingestion is the same put, of the path its table names, answered as Flight SQL
 * answers one ({@link SqlIngest}).
 */
final class DoPutCall extends ServerCall.Listener<Object> {
  static final Metadata.Key<String> FLIGHT_SIZE = Metadata.Key.of("x-hangar-flight-size", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> IDEMPOTENCY_KEY = Metadata.Key.of("x-hangar-idempotency-key", Metadata.ASCII_STRING_MARSHALLER);

  private final ServerCall<Object, Flight.PutResult> call;
  private final Metadata headers;
  private final FlightStore store;
  private final CallTracker calls;
  private final dev.hangar.server.ops.PutRejections rejections;
  private Upload upload;
  private final BufferAllocator working;
  private MessageValidator validator;
  private String path;
  private boolean entered;
  private boolean done;
  private final dev.hangar.server.cluster.Cluster cluster; // null: a node on its own
  private boolean replica;
  private SqlIngest ingest; // a Flight SQL bulk ingestion, answered as one; null for a put of a path

  DoPutCall(ServerCall<Object, Flight.PutResult> call, Metadata headers, FlightStore store, CallTracker calls,
      BufferAllocator working, dev.hangar.server.ops.PutRejections rejections, dev.hangar.server.cluster.Cluster cluster) {
    this.cluster = cluster;
    this.call = call;
    this.rejections = rejections;
    this.working = working;
    this.headers = headers;
    this.store = store;
    this.calls = calls;
  }

  @Override
  public void onMessage(Object message) {
    FlightDataFrame frame = (FlightDataFrame) message;
    try (frame) {
      if (done) {
        return;
      }
      if (!entered) {
        entered = true;
        calls.enter();
      }
      if (frame.malformed() != null) {
        throw new InvalidMessageException("message " + (validator == null ? 0 : validator.messages())
            + " is not a FlightData protobuf (" + frame.malformed() + ")");
      }
      if (upload == null) {
        start(frame);
      } else {
        append(frame);
      }
    } catch (InvalidMessageException e) {
      fail(path == null ? e : new InvalidMessageException("Cannot store flight \"" + path + "\": " + e.getMessage()));
      return;
    } catch (Throwable t) {
      fail(t);
      return;
    }
    call.request(1);
  }

  private void start(FlightDataFrame frame) {
    Flight.FlightDescriptor descriptor = descriptorOf(frame.descriptor);
    ingest = ingestOf(descriptor);
    path = ingest != null ? ingest.path() : pathOf(descriptor);
    Grants.require(Access.WRITE, path);
    if (ingest != null) {
      ingest.checkTarget(store);
    }
    if (frame.header == null) {
      throw new InvalidMessageException("message 0 has no IPC header: a put starts with the flight's schema");
    }
    FlightSchema schema = FlightSchema.parse(frame.header, frame.appMetadata); // refuses a message 0 that is not a schema
    if (frame.bodyLength != 0) {
      throw new InvalidMessageException("message 0 (schema) has a body of " + frame.bodyLength + " bytes; a schema has none");
    }
    OptionalLong expected = expectedSize(headers.get(FLIGHT_SIZE));
    validator = new MessageValidator(schema);
    java.time.Instant replicaOf = cluster == null ? null : dev.hangar.server.cluster.Cluster.replicaOf();
    replica = replicaOf != null;
    upload = replica ? store.beginReplica(path, schema, expected, replicaOf)
        : store.beginPut(path, schema, expected, headers.get(IDEMPOTENCY_KEY));
  }

  private void append(FlightDataFrame frame) {
    if (frame.header == null) {
      throw new InvalidMessageException("message " + validator.messages() + " carries no IPC message"
          + (frame.appMetadata != null ? " (only app_metadata, which Hangar stores only with a dictionary or record batch)" : ""));
    }
    MessageHeader header = validator.check(frame.header, frame.bodyLength);
    if (header.bodyChecks() == null || frame.body == null) {
      if (header.bodyChecks() != null) {
        validator.checkBody(header, working.getEmpty()); // no body: every buffer is empty, and must be allowed to be
      }
      upload.append(new Message(header, frame.appMetadata, frame.body));
      return;
    }
    // A body the header check cannot vouch for (compressed, or with offsets) is read before it is stored.
    ArrowBuf copy = working.buffer(frame.bodyLength);
    try {
      frame.body.copyTo(copy, 0);
      validator.checkBody(header, copy);
    } catch (RuntimeException | Error e) {
      copy.close();
      throw e;
    }
    upload.append(new Message(header, frame.appMetadata, BufferBody.allocated(copy, frame.bodyLength)));
  }

  @Override
  public void onHalfClose() {
    if (done) {
      return;
    }
    try {
      if (upload == null) {
        throw new InvalidMessageException("the put sent no messages: it needs the flight descriptor and schema first");
      }
      try {
        validator.checkEnd();
      } catch (InvalidMessageException e) {
        throw new InvalidMessageException("Cannot store flight \"" + path + "\": " + e.getMessage());
      }
      FlightSummary summary = upload.commit();
      upload = null;
      int copies = cluster == null || replica ? 0 : replicate();
      if (cluster != null && !replica) {
        cluster.supersede(path, summary.committedAt());
      }
      call.sendHeaders(new Metadata());
      call.sendMessage(ingest != null ? SqlIngest.result(summary.rows())
          : Flight.PutResult.newBuilder().setAppMetadata(ByteString.copyFrom(Json.putResultBytes(summary, copies))).build());
      done = true;
      call.close(Status.OK, new Metadata());
    } catch (Throwable t) {
      fail(t);
    } finally {
      exit();
    }
  }

  /**
   * Sends the stored flight to its other live owners (a class with {@code replicas} > 1), each
   * stored there before this put answers. Returns how many nodes hold it now, this one included; a
   * replica that fails is logged and left to the rebalancer, and the answer's count says so.
   */
  private int replicate() {
    int copies = 1;
    for (dev.hangar.server.cluster.Member m : cluster.owners(path)) {
      if (cluster.isSelf(m)) {
        continue;
      }
      try {
        cluster.copy(path, m);
        cluster.metrics().replicaCopies.increment();
        copies++;
      } catch (RuntimeException e) {
        cluster.metrics().replicaFailures.increment();
        org.slf4j.LoggerFactory.getLogger(DoPutCall.class).warn("Put of \"{}\": its replica on node {} was not made ({}); the"
            + " rebalancer retries", path, m.id(), e instanceof io.grpc.StatusRuntimeException s ? s.getStatus() : e.toString());
      }
    }
    return copies;
  }

  @Override
  public void onCancel() {
    if (!done) {
      done = true;
      abort();
    }
    exit();
  }

  private void fail(Throwable t) {
    if (done) {
      return;
    }
    done = true;
    abort();
    rejections.record(t);
    String what = path == null ? "DoPut" : "DoPut of \"" + path + "\"";
    Status status = Status.fromThrowable(org.apache.arrow.flight.grpc.StatusUtils.toGrpcException(Errors.toFlight(t, what)));
    try {
      call.close(status, new Metadata());
    } catch (IllegalStateException e) {
      // already closed by a cancel
    }
    exit();
  }

  private void abort() {
    if (upload != null) {
      Upload u = upload;
      upload = null;
      u.abort();
    }
  }

  private void exit() {
    if (entered) {
      entered = false;
      calls.exit();
    }
  }

  /**
   * The flight path a descriptor names: a path descriptor of UTF-8 segments, or a Flight SQL bulk
   * ingestion, whose table is the path.
   */
  static String pathOf(byte[] descriptor) {
    Flight.FlightDescriptor d = descriptorOf(descriptor);
    SqlIngest ingest = ingestOf(d);
    return ingest != null ? ingest.path() : pathOf(d);
  }

  private static Flight.FlightDescriptor descriptorOf(byte[] descriptor) {
    if (descriptor == null) {
      throw new Errors.BadRequestException("Cannot store a flight: the first message has no flight descriptor"
          + " (send FlightDescriptor.path(...) with the schema)");
    }
    try {
      return Flight.FlightDescriptor.parseFrom(descriptor);
    } catch (InvalidProtocolBufferException e) {
      throw new Errors.BadRequestException("Cannot store a flight: its flight descriptor cannot be decoded (it is not a"
          + " FlightDescriptor protobuf, or a path segment is not UTF-8)");
    }
  }

  /** The bulk ingestion {@code d} carries, checked; null if it is not a command descriptor of one. */
  private static SqlIngest ingestOf(Flight.FlightDescriptor d) {
    return d.getType() == Flight.FlightDescriptor.DescriptorType.CMD ? SqlIngest.of(d) : null;
  }

  private static String pathOf(Flight.FlightDescriptor d) {
    if (d.getType() != Flight.FlightDescriptor.DescriptorType.PATH) {
      throw new Errors.BadRequestException("Cannot store a flight: its descriptor's type is " + MetadataCalls.typeName(d)
          + ", not PATH (send FlightDescriptor.path(...))");
    }
    List<String> segments = new ArrayList<>();
    for (int i = 0; i < d.getPathCount(); i++) {
      ByteString segment = d.getPathBytes(i);
      if (!segment.isValidUtf8()) {
        throw new Errors.BadRequestException("Cannot store a flight: path segment " + i + " of its descriptor is not UTF-8");
      }
      segments.add(segment.toStringUtf8());
    }
    return FlightPath.of(segments);
  }

  static OptionalLong expectedSize(String value) {
    if (value == null) {
      return OptionalLong.empty();
    }
    try {
      long n = Long.parseLong(value.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return OptionalLong.of(n);
    } catch (NumberFormatException e) {
      throw new Errors.BadRequestException("Invalid header x-hangar-flight-size: \"" + value
          + "\" is not a byte count (send the flight's expected size in bytes, e.g. 1048576)");
    }
  }
}
