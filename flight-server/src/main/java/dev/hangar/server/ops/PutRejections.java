package dev.hangar.server.ops;

import dev.hangar.limits.QuotaExceededException;
import dev.hangar.storage.DurableBackpressureException;
import dev.hangar.storage.DurableStoreUnavailableException;
import dev.hangar.storage.EphemeralLimitException;
import dev.hangar.storage.FlightTooLargeException;
import dev.hangar.storage.InsufficientCapacityException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * DoPuts the node turned away, by reason: {@code quota} (a limit policy), {@code capacity} (no room
 * in any tier), {@code too_large} (larger than every tier admits), {@code bad_input} (a path, a
 * header or a message that is not valid), {@code auth} (no grant to write there, or no valid
 * credentials), {@code durable} (the durable store is down or its weak queue is full), {@code other}.
 */
public final class PutRejections {
  public static final List<String> REASONS = List.of("quota", "capacity", "too_large", "bad_input", "auth", "durable", "other");

  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

  public PutRejections() {
    REASONS.forEach(r -> counts.put(r, new LongAdder()));
  }

  /** Counts a put that failed with {@code t}. A client that went away is not a rejection. */
  public void record(Throwable t) {
    String reason = reasonOf(t);
    if (reason != null) {
      counts.get(reason).increment();
    }
  }

  /** Counts a put refused before it reached the data plane (authentication). */
  public void unauthenticated() {
    counts.get("auth").increment();
  }

  public long count(String reason) {
    return counts.get(reason).sum();
  }

  static String reasonOf(Throwable t) {
    if (t instanceof QuotaExceededException || t instanceof EphemeralLimitException) {
      return "quota";
    }
    if (t instanceof InsufficientCapacityException) {
      return "capacity";
    }
    if (t instanceof FlightTooLargeException) {
      return "too_large";
    }
    if (t instanceof dev.hangar.server.security.Grants.PermissionDeniedException) {
      return "auth";
    }
    if (t instanceof DurableStoreUnavailableException || t instanceof DurableBackpressureException) {
      return "durable";
    }
    if (t instanceof dev.hangar.storage.InvalidFlightPathException || t instanceof dev.hangar.storage.InvalidUploadException
        || t instanceof dev.hangar.storage.NoStorageClassException || t instanceof dev.hangar.server.Errors.BadRequestException
        || t instanceof dev.hangar.tiers.ipc.InvalidMessageException) {
      return "bad_input";
    }
    if (t instanceof io.grpc.StatusRuntimeException s && s.getStatus().getCode() == io.grpc.Status.Code.CANCELLED) {
      return null;
    }
    return "other";
  }
}
