package dev.hangar.server.cluster;

import dev.hangar.config.AuthConfig.Access;
import dev.hangar.server.security.Principal;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ListFlights across the cluster: this node's own listing and every other member's, each already in
 * path order, merged into one stream in path order with each path once (a flight held by two
 * replicas, or a durable flight every node has indexed, appears once). Peers are read asynchronously,
 * a window of messages at a time, so one slow member costs its own latency, not a round trip per
 * flight. A member that fails mid-listing is left out, and the failure logged.
 */
public final class ClusterListing {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterListing.class);
  private static final int WINDOW = 2048;

  private ClusterListing() {}

  /** An iterator that must be closed if it is not read to the end. */
  public interface Listing extends Iterator<Flight.FlightInfo>, AutoCloseable {
    @Override
    void close();
  }

  /**
   * {@code local} merged with the listings of {@code criteria} of the other members that may hold
   * flights under it ({@link Cluster#listingPeers}); peers' entries the caller ({@code principal})
   * may not read are dropped here, since peers list as the cluster.
   */
  public static Listing merged(Cluster cluster, Flight.Criteria criteria, Iterator<Flight.FlightInfo> local, Principal principal) {
    List<PeerStream> peers = new ArrayList<>();
    for (Member m : cluster.listingPeers(criteria.getExpression().toStringUtf8())) {
      peers.add(new PeerStream(cluster, m, criteria));
    }
    List<Iterator<Flight.FlightInfo>> sources = new ArrayList<>();
    sources.add(local);
    sources.addAll(peers);
    return new Listing() {
      private final Flight.FlightInfo[] heads = new Flight.FlightInfo[sources.size()];
      private final String[] keys = new String[sources.size()];
      private boolean primed;
      private String last;

      private void advance(int i) {
        Iterator<Flight.FlightInfo> it = sources.get(i);
        heads[i] = null;
        keys[i] = null;
        while (it.hasNext()) {
          Flight.FlightInfo info = it.next();
          String path = pathOf(info);
          if (i == 0 || principal.may(Access.READ, path)) {
            heads[i] = info;
            keys[i] = path;
            return;
          }
        }
      }

      @Override
      public boolean hasNext() {
        if (!primed) {
          primed = true;
          for (int i = 0; i < heads.length; i++) {
            advance(i);
          }
        }
        while (true) {
          int best = -1;
          for (int i = 0; i < heads.length; i++) {
            if (keys[i] != null && (best < 0 || keys[i].compareTo(keys[best]) < 0)) {
              best = i;
            }
          }
          if (best < 0) {
            return false;
          }
          if (keys[best].equals(last)) {
            advance(best); // the same flight from another node
            continue;
          }
          return true;
        }
      }

      @Override
      public Flight.FlightInfo next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int best = -1;
        for (int i = 0; i < heads.length; i++) {
          if (keys[i] != null && (best < 0 || keys[i].compareTo(keys[best]) < 0)) {
            best = i;
          }
        }
        Flight.FlightInfo out = heads[best];
        last = keys[best];
        advance(best);
        return out;
      }

      @Override
      public void close() {
        peers.forEach(PeerStream::cancel);
      }
    };
  }

  public static String pathOf(Flight.FlightInfo info) {
    return String.join("/", info.getFlightDescriptor().getPathList());
  }

  /** One member's listing, requested a window at a time and buffered. */
  private static final class PeerStream implements Iterator<Flight.FlightInfo> {
    private static final Object END = new Object();
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final ClientCall<Flight.Criteria, Flight.FlightInfo> call;
    private final Member member;
    private final long timeoutMillis;
    private Object head;
    private int taken;
    private boolean ended;

    PeerStream(Cluster cluster, Member member, Flight.Criteria criteria) {
      this.member = member;
      this.timeoutMillis = cluster.peerTimeout().toMillis();
      this.call = cluster.peers().call(member, FlightServiceGrpc.getListFlightsMethod(), CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onMessage(Flight.FlightInfo message) {
          queue.add(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          queue.add(status.isOk() ? END : status);
        }
      }, cluster.peers().headers(true, null));
      call.sendMessage(criteria);
      call.halfClose();
      call.request(WINDOW);
    }

    @Override
    public boolean hasNext() {
      if (ended) {
        return false;
      }
      if (head == null) {
        try {
          head = queue.poll(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          head = Status.CANCELLED.withDescription("interrupted");
        }
        if (head == null) {
          call.cancel("no answer", null);
          head = Status.DEADLINE_EXCEEDED.withDescription("no answer within the peer timeout");
        }
      }
      if (head instanceof Flight.FlightInfo) {
        return true;
      }
      if (head instanceof Status s) {
        LOG.warn("ListFlights: node {} failed mid-listing ({}: {}); its flights are left out of this listing", member.id(),
            s.getCode(), s.getDescription());
      }
      ended = true;
      return false;
    }

    @Override
    public Flight.FlightInfo next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Flight.FlightInfo out = (Flight.FlightInfo) head;
      head = null;
      if (++taken == WINDOW / 2) {
        taken = 0;
        call.request(WINDOW / 2);
      }
      return out;
    }

    void cancel() {
      if (!ended) {
        call.cancel("the listing ended", null);
      }
    }
  }
}
