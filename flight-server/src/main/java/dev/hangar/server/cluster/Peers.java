package dev.hangar.server.cluster;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;

/**
 * Calls from this node to the others: one gRPC channel per member, and every call carries the
 * cluster token, so it runs there as the cluster principal. A call may also say that it must be
 * answered from the callee's own state ({@link #LOCAL}: no forwarding on, no fan-out), and that a put
 * is a replica's copy ({@link #REPLICA}). Flight data passes through as the bytes of its
 * {@code FlightData} messages, never decoded.
 */
public final class Peers implements AutoCloseable {
  public static final Metadata.Key<String> CLUSTER_TOKEN = Metadata.Key.of("x-hangar-cluster-token", Metadata.ASCII_STRING_MARSHALLER);
  /** "1": answer from this node's own tiers and stores; honoured only for the cluster principal. */
  public static final Metadata.Key<String> LOCAL = Metadata.Key.of("x-hangar-local", Metadata.ASCII_STRING_MARSHALLER);
  /** "1": this put is a replica's copy (no durable write); honoured only for the cluster principal. */
  public static final Metadata.Key<String> REPLICA = Metadata.Key.of("x-hangar-replica", Metadata.ASCII_STRING_MARSHALLER);

  /** FlightData messages as their encoded bytes, both ways. */
  public static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };

  public static final MethodDescriptor<byte[], Flight.PutResult> DO_PUT = FlightServiceGrpc.getDoPutMethod()
      .toBuilder(BYTES, ProtoUtils.marshaller(Flight.PutResult.getDefaultInstance())).build();
  public static final MethodDescriptor<Flight.Ticket, byte[]> DO_GET = FlightServiceGrpc.getDoGetMethod()
      .toBuilder(ProtoUtils.marshaller(Flight.Ticket.getDefaultInstance()), BYTES).build();

  private final String token;
  private final Duration timeout;
  private volatile boolean closed;
  private final int maxMessageSize;
  private final io.netty.handler.ssl.SslContext tls;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public Peers(String token, Duration timeout, int maxMessageSize) {
    this(token, timeout, maxMessageSize, null);
  }

  /**
   * @param tls how to reach peers that serve {@code grpc+tls}: trust for their certificates and, under
   *     mutual TLS, this node's own; null: the JVM's default trust and no client certificate
   */
  public Peers(String token, Duration timeout, int maxMessageSize, io.netty.handler.ssl.SslContext tls) {
    this.tls = tls;
    this.token = token;
    this.timeout = timeout;
    this.maxMessageSize = maxMessageSize;
  }

  public Duration timeout() {
    return timeout;
  }

  /**
   * The headers of a call to a peer: the token, {@link #LOCAL} as asked, and for a replica's copy
   * {@link #REPLICA} with the primary's commit time of the version ({@code replicaOf}, null if none).
   */
  public Metadata headers(boolean local, java.time.Instant replicaOf) {
    Metadata h = new Metadata();
    h.put(CLUSTER_TOKEN, token);
    if (local) {
      h.put(LOCAL, "1");
    }
    if (replicaOf != null) {
      h.put(REPLICA, replicaOf.toString());
    }
    return h;
  }

  /** A new call to {@code member}; the caller starts it with {@link #headers}. */
  public <Q, R> ClientCall<Q, R> call(Member member, MethodDescriptor<Q, R> method, CallOptions options) {
    return channel(member).newCall(method, options);
  }

  /** GetFlightInfo at {@code member}, answered from its own state. */
  public Flight.FlightInfo getFlightInfo(Member member, Flight.FlightDescriptor descriptor) {
    return ClientCalls.blockingUnaryCall(local(member), FlightServiceGrpc.getGetFlightInfoMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS), descriptor);
  }

  /** ListFlights at {@code member}, of what it holds itself; read it to the end or it stays open until the deadline. */
  public Iterator<Flight.FlightInfo> listFlights(Member member, Flight.Criteria criteria, Duration deadline) {
    return ClientCalls.blockingServerStreamingCall(local(member), FlightServiceGrpc.getListFlightsMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS), criteria);
  }

  /** An action at {@code member} on its own state; the body of its first result, or an empty array. */
  public byte[] action(Member member, String type, byte[] body) {
    Iterator<Flight.Result> results = ClientCalls.blockingServerStreamingCall(local(member), FlightServiceGrpc.getDoActionMethod(),
        CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS),
        Flight.Action.newBuilder().setType(type).setBody(com.google.protobuf.ByteString.copyFrom(body)).build());
    byte[] first = new byte[0];
    while (results.hasNext()) {
      Flight.Result r = results.next();
      if (first.length == 0) {
        first = r.getBody().toByteArray();
      }
    }
    return first;
  }

  /**
   * DoGet of {@code path} at {@code member}, answered from its own state, as FlightData bytes; cancel
   * the returned call if the stream is left before its end.
   */
  public ClientCall<Flight.Ticket, byte[]> doGet(Member member) {
    return local(member).newCall(DO_GET, CallOptions.DEFAULT);
  }

  private Channel local(Member member) {
    return ClientInterceptors.intercept(channel(member), MetadataUtils.newAttachHeadersInterceptor(headers(true, null)));
  }

  private ManagedChannel channel(Member member) {
    if (closed) { // a call cancelled at shutdown must not open a channel nobody closes
      throw io.grpc.Status.UNAVAILABLE.withDescription("this node is shutting down").asRuntimeException();
    }
    return channels.computeIfAbsent(member.flight(), location -> {
      URI uri = URI.create(location);
      NettyChannelBuilder b = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort())
          .maxInboundMessageSize(maxMessageSize);
      if (uri.getScheme().equals("grpc+tls")) {
        if (tls != null) {
          b.sslContext(tls);
        } else {
          b.useTransportSecurity();
        }
      } else {
        b.usePlaintext();
      }
      return b.build();
    });
  }

  /** Closes the channels of nodes that are no longer members. */
  public void retain(Collection<Member> members) {
    Set<String> live = new java.util.HashSet<>();
    members.forEach(m -> live.add(m.flight()));
    channels.entrySet().removeIf(e -> {
      if (live.contains(e.getKey())) {
        return false;
      }
      e.getValue().shutdown();
      return true;
    });
  }

  @Override
  public void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : channels.values()) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    channels.clear();
  }
}
