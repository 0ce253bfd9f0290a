package dev.hangar.server.dataplane;

import dev.hangar.config.AuthConfig.Access;
import dev.hangar.server.CallTracker;
import dev.hangar.server.Errors;
import dev.hangar.server.cluster.Cluster;
import dev.hangar.server.cluster.Member;
import dev.hangar.server.cluster.Peers;
import dev.hangar.server.security.Grants;
import dev.hangar.storage.FlightNotFoundException;
import dev.hangar.storage.FlightPath;
import dev.hangar.storage.FlightStore;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.impl.Flight;

/**
 * A client's DoGet on a cluster node. If this node owns the flight and holds it (or restores it from
 * its durable copy), it serves it as a single node does ({@link DoGetCall}). Otherwise it streams the
 * flight from its owners, then from the nodes that owned it before the last join ({@link
 * Cluster#candidates}), passing each FlightData message through as bytes without keeping it: a node
 * that does not answer or does not have it is skipped before anything was sent, and if none has it
 * this node serves what it has (a copy it has not handed over yet, or the durable one). The client's
 * read grant is checked here, before any other node is asked.
 */
final class ClusterGetCall extends ServerCall.Listener<Flight.Ticket> {
  private final ServerCall<Flight.Ticket, Object> call;
  private final FlightStore store;
  private final CallTracker calls;
  private final Cluster cluster;
  private final boolean peer;
  private final Object lock = new Object();
  private Flight.Ticket ticket;
  private DoGetCall local;
  private ClientCall<Flight.Ticket, byte[]> remote;
  private boolean sentHeaders;
  private boolean wantMore; // the remote has more for us once the client has room
  private boolean done;
  private boolean started;

  /**
   * @param peer whether another node asks, for what this node has: it answers from its own copy, or,
   *     if it owns the flight, from the durable one (restoring it); a node that neither holds nor owns
   *     the flight says NOT_FOUND rather than read the durable copy into its tiers
   */
  ClusterGetCall(ServerCall<Flight.Ticket, Object> call, FlightStore store, CallTracker calls, Cluster cluster, boolean peer) {
    this.peer = peer;
    this.call = call;
    this.store = store;
    this.calls = calls;
    this.cluster = cluster;
  }

  @Override
  public void onMessage(Flight.Ticket message) {
    ticket = message;
  }

  @Override
  public void onHalfClose() {
    if (started) {
      return;
    }
    started = true;
    String path;
    List<Member> sources = new ArrayList<>();
    boolean localFirst;
    boolean notHere = false;
    try {
      if (ticket == null) {
        throw new Errors.BadRequestException("DoGet needs a ticket (the UTF-8 flight path)");
      }
      path = FlightPath.fromUtf8(ticket.getTicket().toByteArray(), "ticket");
      Grants.require(Access.READ, path);
      if (peer) { // another node asks for this node's own copy: no proxying from here
        notHere = !store.holds(path) && !cluster.owns(path);
        localFirst = true;
      } else {
        // an owner answers from its own copy (or its durable one); a node that is not an owner may
        // still hold a copy it has not handed over yet, which a newer put to the owners may have replaced:
        // it asks the owners first and serves its own copy only if none of them has the flight
        localFirst = cluster.owns(path) && (store.holds(path) || exists(path));
        for (Member m : cluster.candidates(path)) { // the owners, then the nodes that may not have handed it over yet
          if (!cluster.isSelf(m)) {
            sources.add(m);
          }
        }
      }
    } catch (Throwable t) {
      serveLocally(); // DoGetCall reports the problem as a single node does
      return;
    }
    if (notHere) {
      call.close(Status.NOT_FOUND.withDescription("Flight \"" + path + "\" is not held by node " + cluster.self().id()), new Metadata());
    } else if (localFirst || sources.isEmpty()) {
      serveLocally();
    } else {
      cluster.metrics().proxiedGets.increment();
      proxy(path, sources, 0);
    }
  }

  private boolean exists(String path) {
    try {
      store.info(path);
      return true;
    } catch (FlightNotFoundException e) {
      return false;
    }
  }

  private void serveLocally() {
    DoGetCall get = new DoGetCall(call, store, calls, null);
    synchronized (lock) { // the server's callbacks and a remote's last one may come on different threads
      local = get;
      if (ticket != null) {
        get.onMessage(ticket);
      }
      get.onHalfClose();
    }
  }

  /** Streams from {@code sources[i]}; on a failure before its first message, from the next, then from this node. */
  private void proxy(String path, List<Member> sources, int i) {
    Member source = sources.get(i);
    ClientCall<Flight.Ticket, byte[]> c = cluster.peers().call(source, Peers.DO_GET, CallOptions.DEFAULT);
    synchronized (lock) {
      if (done) {
        return;
      }
      remote = c;
    }
    c.start(new ClientCall.Listener<>() {
      private boolean any;

      @Override
      public void onMessage(byte[] message) {
        synchronized (lock) {
          if (done) {
            return;
          }
          any = true;
          if (!sentHeaders) {
            sentHeaders = true;
            call.sendHeaders(new Metadata());
          }
          call.sendMessage(new ByteArrayInputStream(message));
          if (call.isReady()) {
            c.request(1);
          } else {
            wantMore = true;
          }
        }
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        boolean next;
        synchronized (lock) {
          if (done) {
            return;
          }
          next = !any && !status.isOk() && status.getCode() != Status.Code.PERMISSION_DENIED;
          if (!next) {
            done = true;
            call.close(status.isOk() ? Status.OK : Status.fromCode(status.getCode()).withDescription(status.getDescription()),
                new Metadata());
            return;
          }
        }
        if (i + 1 < sources.size()) {
          proxy(path, sources, i + 1);
        } else {
          serveLocally(); // no owner has it: a durable copy, or NOT_FOUND from here
        }
      }
    }, cluster.peers().headers(true, null));
    c.sendMessage(ticket);
    c.halfClose();
    c.request(1);
  }

  @Override
  public void onReady() {
    synchronized (lock) {
      if (local != null) {
        local.onReady();
      } else if (wantMore && remote != null && call.isReady()) {
        wantMore = false;
        remote.request(1);
      }
    }
  }

  @Override
  public void onCancel() {
    synchronized (lock) {
      if (local != null) {
        local.onCancel();
      } else if (!done) {
        done = true;
        if (remote != null) {
          remote.cancel("the client cancelled", null);
        }
      }
    }
  }
}
