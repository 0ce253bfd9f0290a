package dev.hangar.server.ops;

import dev.hangar.storage.FlightStore;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.Map;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the node can serve, for load balancers and Kubernetes:
 * <ul>
 *   <li><b>live</b>: the process answers. That holds for as long as the operations port answers.
 *   <li><b>ready</b>: the node accepts puts, and every durable store answered its last probe. Stores
 *       are probed every few seconds ({@link #probe}). Not ready means degraded, and the reason says
 *       which store and why. It also goes not ready for good as shutdown begins, before the Flight
 *       port stops taking calls.
 * </ul>
 * The standard gRPC health service on the Flight port ({@code grpc.health.v1.Health}) reports the
 * same readiness as SERVING or NOT_SERVING.
 */
public final class Health {
  private static final Logger LOG = LoggerFactory.getLogger(Health.class);

  private final FlightStore store;
  private final HealthStatusManager grpc = new HealthStatusManager();
  private volatile Map<String, String> storeProblems = Map.of();
  private volatile boolean stopping;
  private volatile java.util.function.Supplier<String> cluster = () -> null;

  public Health(FlightStore store) {
    this.store = store;
    probe();
  }

  /** The gRPC health service to add to the Flight port. */
  public io.grpc.BindableService grpcService() {
    return grpc.getHealthService();
  }

  /**
   * A note on the node's cluster, or null when all is well. The node stays ready while it has one:
   * it still serves what it holds (an etcd outage stops membership changes, not reads and writes).
   */
  public void cluster(java.util.function.Supplier<String> note) {
    this.cluster = note;
  }

  /** Asks every durable store whether it answers; updates readiness. */
  public void probe() {
    if (stopping) {
      return;
    }
    Map<String, String> before = storeProblems;
    Map<String, String> now = store.probeDurableStores();
    storeProblems = now;
    boolean wasReady = before.values().stream().allMatch(v -> v == null);
    boolean ready = now.values().stream().allMatch(v -> v == null);
    if (wasReady != ready) {
      if (ready) {
        LOG.info("Ready again: every durable store answers");
      } else {
        LOG.warn("Not ready: {}", reason());
      }
    }
    grpc.setStatus("", ready ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** Shutdown began: not ready from now on, whatever the stores say. */
  public void stopping() {
    stopping = true;
    grpc.enterTerminalState();
  }

  public boolean ready() {
    return !stopping && storeProblems.values().stream().allMatch(v -> v == null);
  }

  /** Why the node is not ready, one line per cause; "ready" if it is. */
  public String reason() {
    if (stopping) {
      return "shutting down";
    }
    StringJoiner out = new StringJoiner("\n");
    storeProblems.forEach((id, problem) -> {
      if (problem != null) {
        out.add("degraded: durable store " + id + " does not answer: " + problem);
      }
    });
    String note = cluster.get();
    if (out.length() == 0) {
      return note == null ? "ready" : "ready\n" + note;
    }
    if (note != null) {
      out.add(note);
    }
    return out.toString();
  }
}
