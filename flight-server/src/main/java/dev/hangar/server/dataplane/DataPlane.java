package dev.hangar.server.dataplane;

import dev.hangar.server.CallTracker;
import dev.hangar.storage.FlightStore;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCalls;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Hangar's Flight service: Arrow's own, with DoGet, DoPut, GetFlightInfo, GetSchema and ListFlights of
 * flight paths taken over so that flights are stored and served as the IPC messages their clients sent
 * (see {@link FlightDataFrame}, {@link OutgoingFrame}). Calls that carry Flight SQL commands (a
 * command descriptor, a command ticket) still go to Arrow's handlers, chosen per call by its first
 * message, and everything else (actions, handshake) is Arrow's untouched.
 */
public final class DataPlane {
  /** A put runs on its event loop until its messages reach this many bytes, then on the pool. */
  static final long INLINE_PUT_BYTES = 1 << 20;
  /** ... and starts there only if the memory tier has this much free (room for a few at once without an eviction). */
  static final long INLINE_PUT_MARGIN = 4 * INLINE_PUT_BYTES;

  private final FlightStore store;
  private final BufferAllocator working;
  private final CallTracker calls;
  private final MetadataCalls metadata;
  private final dev.hangar.server.ops.PutRejections rejections;
  private final dev.hangar.server.cluster.Cluster cluster; // null: a node on its own
  private final CallThreads threads;

  /**
   * @param working where a put keeps a body it must read before storing it (a compressed one, checked
   *     buffer by buffer); released before the call ends
   */
  public DataPlane(FlightStore store, CallTracker calls, BufferAllocator working, dev.hangar.server.ops.PutRejections rejections,
      dev.hangar.server.cluster.Cluster cluster, CallThreads threads) {
    this.threads = threads;
    this.rejections = rejections;
    this.cluster = cluster;
    this.store = store;
    this.working = working;
    this.calls = calls;
    this.metadata = new MetadataCalls(store, calls, cluster);
  }

  /** {@code arrow}, Arrow's bound Flight service, with Hangar's data plane in place of its path calls. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public ServerServiceDefinition wrap(ServerServiceDefinition arrow) {
    Map<String, ServerMethodDefinition<?, ?>> methods = new HashMap<>();
    for (ServerMethodDefinition<?, ?> m : arrow.getMethods()) {
      methods.put(m.getMethodDescriptor().getFullMethodName(), m);
    }
    ServerMethodDefinition<Flight.Ticket, Object> arrowGet =
        (ServerMethodDefinition) methods.remove(FlightServiceGrpc.getDoGetMethod().getFullMethodName());
    ServerMethodDefinition<Object, Flight.PutResult> arrowPut =
        (ServerMethodDefinition) methods.remove(FlightServiceGrpc.getDoPutMethod().getFullMethodName());
    ServerMethodDefinition<Flight.FlightDescriptor, Flight.FlightInfo> arrowInfo =
        (ServerMethodDefinition) methods.remove(FlightServiceGrpc.getGetFlightInfoMethod().getFullMethodName());
    ServerMethodDefinition<Flight.FlightDescriptor, Flight.SchemaResult> arrowSchema =
        (ServerMethodDefinition) methods.remove(FlightServiceGrpc.getGetSchemaMethod().getFullMethodName());
    methods.remove(FlightServiceGrpc.getListFlightsMethod().getFullMethodName());

    FlightDataMarshaller getMarshaller =
        new FlightDataMarshaller((MethodDescriptor.Marshaller) arrowGet.getMethodDescriptor().getResponseMarshaller());
    FlightDataMarshaller putMarshaller =
        new FlightDataMarshaller((MethodDescriptor.Marshaller) arrowPut.getMethodDescriptor().getRequestMarshaller());
    MethodDescriptor<Flight.Ticket, Object> doGet = arrowGet.getMethodDescriptor()
        .toBuilder(arrowGet.getMethodDescriptor().getRequestMarshaller(), getMarshaller).build();
    MethodDescriptor<Object, Flight.PutResult> doPut = arrowPut.getMethodDescriptor()
        .toBuilder(putMarshaller, arrowPut.getMethodDescriptor().getResponseMarshaller()).build();

    // In a cluster a client's calls may be answered by other nodes (ClusterGetCall, ForwardedPutCall);
    // another node's calls are answered from this node's own state.
    ServerCallHandler<Flight.Ticket, Object> ownGet = (call, headers) -> cluster != null
        ? new ClusterGetCall(call, store, calls, cluster, dev.hangar.server.cluster.Cluster.isPeerCall()) : new DoGetCall(call, store, calls, null);
    // A DoGet starts on its event loop (CallThreads); one that may wait moves to the pool (in a cluster all do).
    ServerCallHandler<Flight.Ticket, Object> pooledGet = threads.onPool(ownGet);
    ServerCallHandler<Flight.Ticket, Object> commandGet = threads.onPool(arrowGet.getServerCallHandler());
    ServerCallHandler<Flight.Ticket, Object> get = new FirstMessageDispatch<>(ticket ->
        isCommandTicket(ticket) ? commandGet : cluster != null ? pooledGet : residentGet(ticket, ownGet, pooledGet));
    ServerCallHandler<Object, Flight.PutResult> ownPut =
        (call, headers) -> new DoPutCall(call, headers, store, calls, working, rejections, cluster);
    ServerCallHandler<Object, Flight.PutResult> forwardPut = (call, headers) -> new ForwardedPutCall(call, headers, cluster);
    ServerCallHandler<Object, Flight.PutResult> commandPut = new ConvertingHandler(arrowPut.getServerCallHandler(), putMarshaller);
    // A DoPut starts on its event loop too (CallThreads); only a small put into memory stays there.
    // Frames moved to the pool take their bodies out of gRPC's buffers first (FlightDataFrame.detached).
    java.util.function.UnaryOperator<Object> detach = m -> ((FlightDataFrame) m).detached();
    ServerCallHandler<Object, Flight.PutResult> inlinePut = threads.inlineUpTo(ownPut, INLINE_PUT_BYTES, DataPlane::sizeOf, detach);
    ServerCallHandler<Object, Flight.PutResult> pooledPut = threads.onPool(ownPut, detach);
    // A Flight SQL bulk ingestion is a put of the path its table names (SqlIngest); it may look at a
    // durable store to see whether the flight exists, so it never starts on the event loop.
    ServerCallHandler<Object, Flight.PutResult> put = new FirstMessageDispatch<>(first -> {
      FlightDataFrame frame = (FlightDataFrame) first;
      Flight.FlightDescriptor command = commandOf(frame);
      boolean ingest = command != null && SqlIngest.isIngest(command);
      if (command != null && !ingest) {
        return threads.onPool(commandPut, detach);
      }
      if (forwards(frame)) {
        return threads.onPool(forwardPut, detach);
      }
      return ingest ? pooledPut
          : (call, headers) -> (putsWithoutWaiting(frame, headers) ? inlinePut : pooledPut).startCall(call, headers);
    }, "The put sent no messages, so there is nothing to store: a put starts with its flight descriptor and schema"
        + " (ADBC's bulk ingestion sends nothing for a table with no record batches; give it one batch of no rows)");
    ServerCallHandler<Flight.FlightDescriptor, Flight.FlightInfo> ownInfo = ServerCalls.asyncUnaryCall(metadata::getFlightInfo);
    ServerCallHandler<Flight.FlightDescriptor, Flight.FlightInfo> info = new FirstMessageDispatch<>(d ->
        d.getType() == Flight.FlightDescriptor.DescriptorType.CMD ? arrowInfo.getServerCallHandler() : ownInfo);
    ServerCallHandler<Flight.FlightDescriptor, Flight.SchemaResult> ownSchema = ServerCalls.asyncUnaryCall(metadata::getSchema);
    ServerCallHandler<Flight.FlightDescriptor, Flight.SchemaResult> schema = new FirstMessageDispatch<>(d ->
        d.getType() == Flight.FlightDescriptor.DescriptorType.CMD ? arrowSchema.getServerCallHandler() : ownSchema);

    ServiceDescriptor.Builder service = ServiceDescriptor.newBuilder(arrow.getServiceDescriptor().getName())
        .setSchemaDescriptor(arrow.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(doGet).addMethod(doPut)
        .addMethod(arrowInfo.getMethodDescriptor()).addMethod(arrowSchema.getMethodDescriptor())
        .addMethod(FlightServiceGrpc.getListFlightsMethod());
    methods.values().forEach(m -> service.addMethod(m.getMethodDescriptor()));
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(service.build())
        .addMethod(doGet, get)
        .addMethod(doPut, put)
        .addMethod(arrowInfo.getMethodDescriptor(), info)
        .addMethod(arrowSchema.getMethodDescriptor(), schema)
        .addMethod(FlightServiceGrpc.getListFlightsMethod(), ServerCalls.asyncServerStreamingCall(metadata::listFlights));
    methods.values().forEach(m -> out.addMethod((ServerMethodDefinition) m));
    return ParseGuard.guard(out.build(), java.util.Set.of("DoPut")); // DoPut's frames report their own damage
  }

  /** The bytes of a FlightData message: how a flight's copy travels to another node of a cluster. */
  public static byte[] flightData(byte[] descriptor, byte[] header, byte[] appMetadata, dev.hangar.tiers.ipc.Body body) {
    return FlightDataFrame.encode(descriptor, header, appMetadata, body);
  }

  /** Whether a client's put goes to another node: in a cluster, for a flight this node does not own. */
  private boolean forwards(FlightDataFrame first) {
    if (cluster == null || dev.hangar.server.cluster.Cluster.isPeerCall() || dev.hangar.server.cluster.Cluster.isReplicaPut()
        || first.malformed() != null) {
      return false;
    }
    try {
      return !cluster.owns(DoPutCall.pathOf(first.descriptor));
    } catch (RuntimeException e) {
      return false; // DoPutCall reports it
    }
  }

  /**
   * Whether a put may start on the event loop: into memory, with room to spare, and nothing to wait
   * for (see {@link FlightStore#putsWithoutWaiting}); it moves to the pool once it has sent
   * {@link #INLINE_PUT_BYTES}. A put whose first message is bad is answered at once, where it is.
   */
  private boolean putsWithoutWaiting(FlightDataFrame first, io.grpc.Metadata headers) {
    if (headers.containsKey(DoPutCall.IDEMPOTENCY_KEY)) {
      return false; // a retry may wait for the put it repeats
    }
    try {
      return store.putsWithoutWaiting(DoPutCall.pathOf(first.descriptor), INLINE_PUT_MARGIN);
    } catch (RuntimeException e) {
      return true;
    }
  }

  /** What a request message brings towards {@link #INLINE_PUT_BYTES}. */
  private static long sizeOf(Object message) {
    FlightDataFrame frame = (FlightDataFrame) message;
    return frame.bodyLength + (frame.header == null ? 0 : frame.header.length);
  }

  /**
   * The DoGet of a flight held in memory or a mapped file, run where it starts (the event loop), with
   * its lease taken here: a flight that moves to disk or leaves for its durable store after this check
   * is still read from the copy checked, never from a disk or a store on the event loop. Any other
   * flight's DoGet is {@code otherwise}. A bad ticket, or one the caller may not read, is answered at
   * once by {@code answerHere} (a {@link DoGetCall} that opens nothing yet) where it is.
   */
  private ServerCallHandler<Flight.Ticket, Object> residentGet(Flight.Ticket ticket, ServerCallHandler<Flight.Ticket, Object> answerHere,
      ServerCallHandler<Flight.Ticket, Object> otherwise) {
    dev.hangar.storage.FlightLease lease;
    String path;
    try {
      path = dev.hangar.storage.FlightPath.fromUtf8(ticket.getTicket().toByteArray(), "ticket");
      if (!dev.hangar.server.security.Grants.mayRead(path)) {
        return answerHere;
      }
      lease = store.openResident(path);
    } catch (RuntimeException e) {
      return answerHere;
    }
    return lease == null ? otherwise : (call, headers) -> new DoGetCall(call, store, calls, new DoGetCall.Opened(path, lease));
  }

  /** A Flight SQL ticket is a protobuf {@code Any}, which starts with field 1 (0x0A); no valid path does. */
  static boolean isCommandTicket(Flight.Ticket ticket) {
    return !ticket.getTicket().isEmpty() && ticket.getTicket().byteAt(0) == 0x0A;
  }

  /** The descriptor of an upload whose first message names a command; null for any other. */
  private static Flight.FlightDescriptor commandOf(FlightDataFrame first) {
    if (first.descriptor == null) {
      return null;
    }
    try {
      Flight.FlightDescriptor d = Flight.FlightDescriptor.parseFrom(first.descriptor);
      return d.getType() == Flight.FlightDescriptor.DescriptorType.CMD ? d : null;
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return null; // DoPutCall answers it
    }
  }

  /** Arrow's DoPut handler for command uploads, fed Arrow's own message objects. */
  private static final class ConvertingHandler implements ServerCallHandler<Object, Flight.PutResult> {
    private final ServerCallHandler<Object, Flight.PutResult> arrow;
    private final FlightDataMarshaller marshaller;

    ConvertingHandler(ServerCallHandler<Object, Flight.PutResult> arrow, FlightDataMarshaller marshaller) {
      this.arrow = arrow;
      this.marshaller = marshaller;
    }

    @Override
    public io.grpc.ServerCall.Listener<Object> startCall(io.grpc.ServerCall<Object, Flight.PutResult> call, io.grpc.Metadata headers) {
      io.grpc.ServerCall.Listener<Object> delegate = arrow.startCall(call, headers);
      return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
        @Override
        public void onMessage(Object message) {
          FlightDataFrame frame = (FlightDataFrame) message;
          Object converted;
          try (frame) {
            if (frame.malformed() != null) {
              call.close(io.grpc.Status.INVALID_ARGUMENT.withDescription("A message of this upload is not a FlightData protobuf ("
                  + frame.malformed() + ")"), new io.grpc.Metadata());
              return;
            }
            converted = marshaller.toArrow(frame);
          } catch (java.io.IOException e) {
            call.close(io.grpc.Status.INVALID_ARGUMENT.withDescription("A message of this upload cannot be read"), new io.grpc.Metadata());
            return;
          }
          super.onMessage(converted);
        }
      };
    }
  }
}
