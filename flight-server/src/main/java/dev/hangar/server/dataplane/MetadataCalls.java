package dev.hangar.server.dataplane;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.protobuf.UnsafeByteOperations;
import dev.hangar.server.CallTracker;
import dev.hangar.config.AuthConfig.Access;
import dev.hangar.server.Errors;
import dev.hangar.server.security.Authenticator;
import dev.hangar.server.security.Grants;
import dev.hangar.storage.FlightPath;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.FlightSummary;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.flight.grpc.StatusUtils;
import org.apache.arrow.flight.impl.Flight;

/**
 * GetFlightInfo, GetSchema and ListFlights of stored flights, answered with the schema bytes the
 * client sent (Arrow Java has no {@code Schema} for some legal types, so they never pass through one).
 */
public final class MetadataCalls {
  private final FlightStore store;
  private final CallTracker calls;
  private final dev.hangar.server.cluster.Cluster cluster; // null: a node on its own

  MetadataCalls(FlightStore store, CallTracker calls, dev.hangar.server.cluster.Cluster cluster) {
    this.store = store;
    this.calls = calls;
    this.cluster = cluster;
  }

  /**
   * In a cluster the answer's endpoint lists the flight's live owners as its locations, so clients that
   * follow locations read from a node that holds it. A node that does not hold the flight asks its
   * owners (another node's answer is the same FlightInfo).
   */
  void getFlightInfo(Flight.FlightDescriptor descriptor, StreamObserver<Flight.FlightInfo> out) {
    if (cluster == null || dev.hangar.server.cluster.Cluster.isPeerCall()) {
      unary("GetFlightInfo", out, () -> info(store.info(readable(pathOf(descriptor)))));
      return;
    }
    unary("GetFlightInfo", out, () -> {
      String path = readable(pathOf(descriptor));
      List<dev.hangar.server.cluster.Member> owners = cluster.owners(path);
      Flight.FlightInfo found = null;
      if (cluster.owns(path)) { // a non-owner's copy may be older than the owners' (see ClusterGetCall)
        try {
          found = info(store.info(path));
        } catch (dev.hangar.storage.FlightNotFoundException e) {
          // an owner that lost its copy (or has not received it yet): its peers may hold it
        }
      }
      List<dev.hangar.server.cluster.Member> candidates = cluster.candidates(path); // the owners, then former owners
      for (int i = 0; found == null && i < candidates.size(); i++) {
        if (!cluster.isSelf(candidates.get(i))) {
          found = cluster.askInfo(candidates.get(i), descriptor);
        }
      }
      if (found == null) {
        found = info(store.info(path)); // a copy not handed over yet, a durable copy no owner has restored, or NOT_FOUND
      }
      Flight.FlightEndpoint.Builder endpoint = found.getEndpoint(0).toBuilder().clearLocation();
      owners.forEach(m -> endpoint.addLocation(Flight.Location.newBuilder().setUri(m.flight())));
      return found.toBuilder().setEndpoint(0, endpoint).build();
    });
  }

  void getSchema(Flight.FlightDescriptor descriptor, StreamObserver<Flight.SchemaResult> out) {
    unary("GetSchema", out, () -> Flight.SchemaResult.newBuilder()
        .setSchema(UnsafeByteOperations.unsafeWrap(store.info(readable(pathOf(descriptor))).schema().ipcMessageBuffer())).build());
  }

  /**
   * Streams the listing as the client takes it: each {@code onReady} sends flights while the
   * transport has room, so a client that reads slowly holds one catalog position, not a queue of a
   * million messages in Netty's buffers. Runs on the call's own executor; no thread waits.
   */
  @SuppressWarnings("unchecked")
  void listFlights(Flight.Criteria criteria, StreamObserver<Flight.FlightInfo> out) {
    ServerCallStreamObserver<Flight.FlightInfo> call = (ServerCallStreamObserver<Flight.FlightInfo>) out;
    calls.enter();
    AtomicBoolean finished = new AtomicBoolean();
    Iterator<Flight.FlightInfo>[] listing = new Iterator[1];
    Runnable finish = () -> {
      if (finished.compareAndSet(false, true)) {
        calls.exit();
        if (listing[0] instanceof dev.hangar.server.cluster.ClusterListing.Listing merged) {
          merged.close(); // stops the other nodes' listings
        }
      }
    };
    Iterator<Flight.FlightInfo> flights;
    try {
      String prefix = FlightPath.decodeUtf8(criteria.getExpression().toByteArray())
          .orElseThrow(() -> new Errors.BadRequestException("Invalid ListFlights criteria: it is not UTF-8 text"));
      Iterator<FlightSummary> local = visible(prefix);
      Iterator<Flight.FlightInfo> infos = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return local.hasNext();
        }

        @Override
        public Flight.FlightInfo next() {
          return info(local.next());
        }
      };
      flights = cluster == null || dev.hangar.server.cluster.Cluster.isPeerCall() ? infos
          : dev.hangar.server.cluster.ClusterListing.merged(cluster, criteria, infos, Authenticator.current());
      listing[0] = flights;
    } catch (RuntimeException e) {
      finish.run();
      out.onError(StatusUtils.toGrpcException(Errors.toFlight(e, "ListFlights")));
      return;
    }
    call.setOnCancelHandler(finish);
    call.setOnReadyHandler(() -> {
      if (finished.get()) {
        return;
      }
      try {
        while (call.isReady() && flights.hasNext()) {
          call.onNext(flights.next());
        }
        if (!flights.hasNext() && !finished.get()) {
          finish.run();
          call.onCompleted();
        }
      } catch (RuntimeException e) {
        if (!finished.get()) {
          finish.run();
          call.onError(StatusUtils.toGrpcException(Errors.toFlight(e, "ListFlights")));
        }
      }
    });
  }

  private static String readable(String path) {
    Grants.require(Access.READ, path);
    return path;
  }

  /**
   * The flights under {@code prefix} the caller may read, in path order: only the catalog ranges its
   * read grants cover are walked, so a tenant listing its own flights costs what it has, not what
   * the node holds.
   */
  private Iterator<FlightSummary> visible(String prefix) {
    List<String> ranges = Authenticator.current().readableRanges(prefix);
    boolean askStores = !dev.hangar.server.cluster.Cluster.isPeerCall(); // the client's node lists shared stores, not every peer
    if (ranges.size() == 1) {
      return store.iterate(ranges.get(0), askStores);
    }
    Iterator<String> next = ranges.iterator();
    return new Iterator<>() {
      private Iterator<FlightSummary> current = java.util.Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!current.hasNext() && next.hasNext()) {
          current = store.iterate(next.next(), askStores);
        }
        return current.hasNext();
      }

      @Override
      public FlightSummary next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return current.next();
      }
    };
  }

  private <T> void unary(String rpc, StreamObserver<T> out, java.util.function.Supplier<T> answer) {
    calls.enter();
    try {
      T value = answer.get();
      out.onNext(value);
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(StatusUtils.toGrpcException(Errors.toFlight(e, rpc)));
    } finally {
      calls.exit();
    }
  }

  static String pathOf(Flight.FlightDescriptor descriptor) {
    if (descriptor.getType() != Flight.FlightDescriptor.DescriptorType.PATH) {
      throw new Errors.BadRequestException("Invalid flight descriptor: its type is " + typeName(descriptor)
          + ", not PATH or CMD (send FlightDescriptor.path(...) to name a flight)");
    }
    List<String> segments = new ArrayList<>();
    for (int i = 0; i < descriptor.getPathCount(); i++) {
      ByteString segment = descriptor.getPathBytes(i);
      if (!segment.isValidUtf8()) {
        throw new Errors.BadRequestException("Invalid flight descriptor: path segment " + i + " is not UTF-8");
      }
      segments.add(segment.toStringUtf8());
    }
    return FlightPath.of(segments);
  }

  /** A descriptor's type for a message: its name, or the number a client sent that no Flight version defines. */
  static String typeName(Flight.FlightDescriptor d) {
    return d.getType() == Flight.FlightDescriptor.DescriptorType.UNRECOGNIZED ? "unknown (" + d.getTypeValue() + ")" : d.getType().name();
  }

  /** The FlightInfo of a stored flight: its schema as sent, one endpoint whose ticket is its path. */
  public static Flight.FlightInfo info(FlightSummary s) {
    Flight.FlightEndpoint.Builder endpoint = Flight.FlightEndpoint.newBuilder()
        .setTicket(Flight.Ticket.newBuilder().setTicket(ByteString.copyFrom(s.path(), StandardCharsets.UTF_8)));
    s.expiresAt().ifPresent(e -> endpoint.setExpirationTime(
        Timestamp.newBuilder().setSeconds(e.getEpochSecond()).setNanos(e.getNano()).build()));
    return Flight.FlightInfo.newBuilder()
        // the schema's one framed copy, wrapped, not copied; empty if its footer is unread (store down)
        .setSchema(s.isComplete() ? UnsafeByteOperations.unsafeWrap(s.schema().ipcMessageBuffer()) : ByteString.EMPTY)
        .setFlightDescriptor(Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH).addPath(s.path()))
        .addEndpoint(endpoint)
        .setTotalRecords(s.rows())
        .setTotalBytes(s.bodyBytes())
        .build();
  }
}
