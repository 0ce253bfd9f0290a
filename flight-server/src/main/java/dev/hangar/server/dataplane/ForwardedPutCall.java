package dev.hangar.server.dataplane;

import dev.hangar.config.AuthConfig.Access;
import dev.hangar.server.Errors;
import dev.hangar.server.cluster.Cluster;
import dev.hangar.server.cluster.Member;
import dev.hangar.server.cluster.Peers;
import dev.hangar.server.security.Grants;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.io.IOException;
import org.apache.arrow.flight.impl.Flight;

/**
 * A client's DoPut on a cluster node that does not own the flight: the client's write grant is checked
 * here, then every FlightData message is passed, as its bytes, to the flight's primary owner, which
 * stores it, makes the replicas, and answers; its answer is the client's. The next message is taken
 * from the client only when the owner can take one (backpressure end to end). Nothing is stored here.
 */
final class ForwardedPutCall extends ServerCall.Listener<Object> {
  private final ServerCall<Object, Flight.PutResult> call;
  private final Metadata headers;
  private final Cluster cluster;
  private final Object lock = new Object();
  private ClientCall<byte[], Flight.PutResult> owner;
  private Flight.PutResult answer;
  private boolean wantMore;
  private boolean done;
  private String path;

  ForwardedPutCall(ServerCall<Object, Flight.PutResult> call, Metadata headers, Cluster cluster) {
    this.call = call;
    this.headers = headers;
    this.cluster = cluster;
  }

  @Override
  public void onMessage(Object message) {
    FlightDataFrame frame = (FlightDataFrame) message;
    try (frame) {
      synchronized (lock) {
        if (done) {
          return;
        }
        if (owner == null) {
          start(frame);
        }
        owner.sendMessage(frame.encode());
        if (owner.isReady()) {
          call.request(1);
        } else {
          wantMore = true;
        }
      }
    } catch (IOException | RuntimeException e) {
      fail(e);
    }
  }

  private void start(FlightDataFrame first) {
    if (first.malformed() != null) {
      throw new Errors.BadRequestException("Cannot store a flight: message 0 is not a FlightData protobuf (" + first.malformed() + ")");
    }
    path = DoPutCall.pathOf(first.descriptor);
    Grants.require(Access.WRITE, path);
    Member primary = cluster.owners(path).get(0);
    cluster.metrics().forwardedPuts.increment();
    Metadata out = cluster.peers().headers(true, null);
    copy(DoPutCall.FLIGHT_SIZE, out);
    copy(DoPutCall.IDEMPOTENCY_KEY, out);
    owner = cluster.peers().call(primary, Peers.DO_PUT, CallOptions.DEFAULT);
    owner.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(Flight.PutResult message) {
        answer = message;
      }

      @Override
      public void onReady() {
        synchronized (lock) {
          if (wantMore && !done) {
            wantMore = false;
            call.request(1);
          }
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        synchronized (lock) {
          if (done) {
            return;
          }
          done = true;
          if (status.isOk() && answer != null) {
            call.sendHeaders(new Metadata());
            call.sendMessage(answer);
            call.close(Status.OK, new Metadata());
          } else if (status.isOk()) {
            call.close(Status.INTERNAL.withDescription("The owner of \"" + path + "\" ended the put without a result"), new Metadata());
          } else {
            call.close(status.getCode() == Status.Code.UNAVAILABLE
                ? Status.UNAVAILABLE.withDescription("Cannot store flight \"" + path + "\": its owner, node " + primary.id()
                    + ", cannot be reached; retry (placement moves to the next node once it has left the cluster)")
                : Status.fromCode(status.getCode()).withDescription(status.getDescription()), new Metadata());
          }
        }
      }
    }, out);
    owner.request(1);
  }

  private void copy(Metadata.Key<String> key, Metadata out) {
    String v = headers.get(key);
    if (v != null) {
      out.put(key, v);
    }
  }

  @Override
  public void onHalfClose() {
    synchronized (lock) {
      if (done) {
        return;
      }
      if (owner == null) {
        done = true;
        call.close(Status.INVALID_ARGUMENT.withDescription("The put sent no messages: it needs the flight descriptor and schema first"),
            new Metadata());
        return;
      }
      owner.halfClose();
    }
  }

  @Override
  public void onCancel() {
    synchronized (lock) {
      if (!done) {
        done = true;
        if (owner != null) {
          owner.cancel("the client cancelled the put", null);
        }
      }
    }
  }

  private void fail(Throwable t) {
    synchronized (lock) {
      if (done) {
        return;
      }
      done = true;
      if (owner != null) {
        owner.cancel("the put failed here", null);
      }
      String what = path == null ? "DoPut" : "DoPut of \"" + path + "\"";
      call.close(Status.fromThrowable(org.apache.arrow.flight.grpc.StatusUtils.toGrpcException(Errors.toFlight(t, what))), new Metadata());
    }
  }
}
