package dev.hangar.server;

import dev.hangar.storage.DurableBackpressureException;
import dev.hangar.storage.DurableDataException;
import dev.hangar.storage.DurableStoreUnavailableException;
import dev.hangar.storage.EphemeralLimitException;
import dev.hangar.storage.FlightNotFoundException;
import dev.hangar.storage.FlightTooLargeException;
import dev.hangar.storage.InsufficientCapacityException;
import dev.hangar.storage.InvalidFlightPathException;
import dev.hangar.storage.InvalidUploadException;
import dev.hangar.storage.NoStorageClassException;
import dev.hangar.limits.QuotaExceededException;
import java.util.UUID;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.memory.OutOfMemoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where domain exceptions become Flight status codes. Messages of Hangar's own
 * exceptions are written for clients and pass through; anything else is logged here with an id and
 * the client gets only that id.
 */
public final class Errors {
  private static final Logger LOG = LoggerFactory.getLogger(Errors.class);

  private Errors() {}

  /** The Flight error to send for {@code t}, which happened while doing {@code what}. */
  public static FlightRuntimeException toFlight(Throwable t, String what) {
    if (t instanceof FlightRuntimeException f) {
      return f;
    }
    CallStatus status;
    if (t instanceof InvalidFlightPathException
        || t instanceof InvalidUploadException
        || t instanceof NoStorageClassException
        || t instanceof BadRequestException
        || t instanceof dev.hangar.tiers.ipc.InvalidMessageException
        || t instanceof dev.hangar.server.sql.SqlRejectedException) {
      status = CallStatus.INVALID_ARGUMENT;
    } else if (t instanceof dev.hangar.server.security.Grants.PermissionDeniedException) {
      status = CallStatus.UNAUTHORIZED;
    } else if (t instanceof FlightNotFoundException) {
      status = CallStatus.NOT_FOUND;
    } else if (t instanceof dev.hangar.storage.StaleCopyException) {
      status = CallStatus.ALREADY_EXISTS; // a node's answer to another node's late copy
    } else if (t instanceof InsufficientCapacityException || t instanceof FlightTooLargeException
        || t instanceof DurableBackpressureException || t instanceof QuotaExceededException
        || t instanceof EphemeralLimitException || t instanceof dev.hangar.server.sql.SqlBusyException) {
      status = CallStatus.RESOURCE_EXHAUSTED;
    } else if (t instanceof dev.hangar.server.sql.QueryTimeoutException) {
      status = CallStatus.TIMED_OUT;
    } else if (t instanceof dev.hangar.server.sql.SqlCancelledException) {
      status = CallStatus.CANCELLED;
    } else if (t instanceof DurableStoreUnavailableException) {
      status = CallStatus.UNAVAILABLE;
    } else if (t instanceof DurableDataException) {
      LOG.error("{}: {}", what, t.getMessage());
      status = CallStatus.INTERNAL;
    } else if (t instanceof StackOverflowError) {
      return CallStatus.INVALID_ARGUMENT.withDescription("Cannot complete " + what + ": the request nests too deeply to read")
          .toRuntimeException();
    } else if (t instanceof OutOfMemoryException) {
      String id = incident();
      LOG.error("{}: out of direct memory while {} (incident {})", what, what, id, t);
      return CallStatus.RESOURCE_EXHAUSTED
          .withDescription("Cannot complete " + what + ": the server ran out of memory (incident " + id + ")")
          .toRuntimeException();
    } else {
      String id = incident();
      LOG.error("Unexpected failure in {} (incident {})", what, id, t);
      return CallStatus.INTERNAL
          .withDescription("Cannot complete " + what + ": internal error (incident " + id + ", see the server log)")
          .toRuntimeException();
    }
    return status.withDescription(t.getMessage()).toRuntimeException();
  }

  private static String incident() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** A request the client got wrong that is not about a path or an upload: a bad action body or header. */
  public static final class BadRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadRequestException(String message) {
      super(message);
    }
  }
}
