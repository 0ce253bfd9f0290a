package dev.hangar.server.dataplane;

import dev.hangar.server.CallTracker;
import dev.hangar.server.Errors;
import dev.hangar.config.AuthConfig.Access;
import dev.hangar.server.security.Grants;
import dev.hangar.storage.FlightLease;
import dev.hangar.storage.FlightPath;
import dev.hangar.storage.FlightStore;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import org.apache.arrow.flight.impl.Flight;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DoGet of a stored flight: sends the schema, then each stored message as it is, as fast as the
 * client takes them. Driven by gRPC's callbacks on the call's own executor (the ticket, then every
 * {@code onReady}), so no thread is parked on a slow client and no hop is made for a fast one. The
 * lease keeps the flight's copy alive until the stream ends; each message sent holds its own reference
 * to its body until Netty has written it.
 */
final class DoGetCall extends ServerCall.Listener<Flight.Ticket> {
  private static final Logger LOG = LoggerFactory.getLogger(DoGetCall.class);

  private final ServerCall<Flight.Ticket, Object> call;
  private final FlightStore store;
  private final CallTracker calls;
  private Flight.Ticket ticket;
  private FlightLease lease;
  private MessageCursor cursor;
  private boolean started;
  private boolean done;
  private String path = "?";

  /** A flight already opened for the call's ticket, by a caller that decoded its path and checked the grant. */
  record Opened(String path, FlightLease lease) {}

  /** @param opened the flight, if the caller has opened it, else null */
  DoGetCall(ServerCall<Flight.Ticket, Object> call, FlightStore store, CallTracker calls, Opened opened) {
    this.call = call;
    this.store = store;
    this.calls = calls;
    if (opened != null) {
      this.path = opened.path();
      this.lease = opened.lease();
    }
  }

  @Override
  public void onMessage(Flight.Ticket message) {
    ticket = message;
  }

  @Override
  public void onHalfClose() {
    if (started || done) {
      return;
    }
    started = true;
    calls.enter();
    try {
      if (ticket == null) {
        throw new Errors.BadRequestException("DoGet needs a ticket (the UTF-8 flight path)");
      }
      if (lease == null) {
        path = FlightPath.fromUtf8(ticket.getTicket().toByteArray(), "ticket");
        Grants.require(Access.READ, path);
        lease = store.open(path);
      }
      cursor = lease.cursor();
      call.sendHeaders(new Metadata());
      send(new OutgoingFrame(lease.summary().schema().message(), lease.summary().schema().appMetadata(), null));
    } catch (Throwable t) {
      fail(t);
      return;
    }
    pump();
  }

  @Override
  public void onReady() {
    if (started && !done) {
      pump();
    }
  }

  private void pump() {
    try {
      while (!done && call.isReady()) {
        Message m = cursor.next();
        if (m == null) {
          finish(Status.OK, null);
          return;
        }
        send(new OutgoingFrame(m.header().bytes(), m.appMetadata(), m.body()));
      }
    } catch (Throwable t) {
      fail(t);
    }
  }

  private void send(OutgoingFrame frame) {
    try {
      call.sendMessage(frame);
    } finally {
      frame.close(); // a no-op once gRPC drained it
    }
  }

  private void fail(Throwable t) {
    if (done) {
      return;
    }
    Status status = Status.fromThrowable(org.apache.arrow.flight.grpc.StatusUtils.toGrpcException(Errors.toFlight(t, "DoGet of \"" + path + "\"")));
    finish(status, t);
  }

  private void finish(Status status, Throwable cause) {
    if (done) {
      return;
    }
    done = true;
    try {
      call.close(status, new Metadata());
    } catch (IllegalStateException e) {
      LOG.debug("DoGet of \"{}\" already closed: {}", path, e.getMessage());
    } finally {
      release();
    }
  }

  @Override
  public void onCancel() {
    if (!done) {
      done = true;
      LOG.debug("DoGet of \"{}\" cancelled by the client", path);
      release();
    }
  }

  private void release() {
    try (FlightLease l = lease; MessageCursor c = cursor) {
      // the cursor first, then the lease that kept the copy alive
    } finally {
      lease = null;
      cursor = null;
      if (started) {
        started = false;
        calls.exit();
      }
    }
  }
}
