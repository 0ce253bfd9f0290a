package dev.hangar.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.FlightSummary;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every flight this node holds where placement says it belongs, after members come and go.
 * A pass walks the flights in this node's tiers; for each it asks the flight's live owners (in batches,
 * {@link #HOLDS} answers for many paths at once) whether they hold it, and sends it to each owner that
 * does not: a replica lost with a node is re-made, a node that joined receives its share. A flight
 * this node no longer owns is dropped here once every owner holds it, never before. Copies go out at
 * most {@code cluster.rebalanceRate} bytes per second.
 *
 * <p>A pass runs after every membership change (coalesced) and every {@link #PERIOD}, which also
 * repairs a replica a put could not make. Durable flights are copied too (warming the new owner);
 * their durable object stays where it is.
 */
public final class Rebalancer implements AutoCloseable {
  /** The peer action: which of the newline-separated paths in the body the node holds in a tier. */
  public static final String HOLDS = "cluster-holds";
  static final Duration PERIOD = Duration.ofSeconds(30);
  private static final int BATCH = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Cluster cluster;
  private final FlightStore store;
  private final long bytesPerSecond;
  private final ScheduledExecutorService executor;
  private final AtomicBoolean pending = new AtomicBoolean();
  private volatile boolean closed;

  public Rebalancer(Cluster cluster, FlightStore store) {
    this.cluster = cluster;
    this.store = store;
    this.bytesPerSecond = cluster.config().rebalanceRate();
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hangar-rebalance");
      t.setDaemon(true);
      return t;
    });
    executor.scheduleWithFixedDelay(this::request, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Asks for a pass; passes asked for while one is queued are one pass. */
  public void request() {
    if (!closed && pending.compareAndSet(false, true)) {
      executor.execute(() -> {
        pending.set(false);
        try {
          pass();
        } catch (RuntimeException e) {
          LOG.warn("Rebalancing stopped early: {}; the next pass goes on", e.toString());
        }
      });
    }
  }

  /** One pass over the flights this node holds; returns how many it sent. */
  int pass() {
    if (cluster.others().isEmpty()) {
      return 0;
    }
    int sent = 0;
    List<FlightSummary> batch = new ArrayList<>(BATCH);
    Iterator<FlightSummary> held = store.iterate("", false); // the catalog only: copies in this node's tiers
    while (held.hasNext() && !closed) {
      FlightSummary s = held.next();
      if (s.storageType() != null) {
        batch.add(s);
      }
      if (batch.size() == BATCH || !held.hasNext()) {
        sent += place(batch);
        batch.clear();
      }
    }
    if (!batch.isEmpty() && !closed) {
      sent += place(batch);
    }
    return sent;
  }

  private int place(List<FlightSummary> flights) {
    Map<Member, List<String>> asks = new HashMap<>();
    Map<String, List<Member>> owners = new HashMap<>();
    for (FlightSummary s : flights) {
      List<Member> o = cluster.owners(s.path());
      owners.put(s.path(), o);
      for (Member m : o) {
        if (!cluster.isSelf(m)) {
          asks.computeIfAbsent(m, k -> new ArrayList<>()).add(s.path());
        }
      }
    }
    Map<Member, Set<String>> holding = new HashMap<>();
    for (Map.Entry<Member, List<String>> e : asks.entrySet()) {
      holding.put(e.getKey(), holds(e.getKey(), e.getValue()));
    }
    int sent = 0;
    for (FlightSummary s : flights) {
      boolean everyOwnerHolds = true;
      boolean stale = false;
      for (Member m : owners.get(s.path())) {
        if (cluster.isSelf(m)) {
          continue;
        }
        Set<String> has = holding.get(m);
        if (has == null) {
          everyOwnerHolds = false; // did not answer
        } else if (!has.contains(s.path())) {
          try {
            cluster.copy(s.path(), m);
            cluster.metrics().rebalancedFlights.increment();
            sent++;
            throttle(s.bytes());
          } catch (RuntimeException ex) {
            if (ex instanceof io.grpc.StatusRuntimeException r && r.getStatus().getCode() == io.grpc.Status.Code.ALREADY_EXISTS) {
              stale = true; // it holds a newer version (or saw a delete): ours must not be served again
              continue;
            }
            everyOwnerHolds = false;
            LOG.info("Rebalancing: \"{}\" was not copied to node {} ({}); the next pass retries", s.path(), m.id(), ex.getMessage());
          }
        }
      }
      if ((everyOwnerHolds || stale) && !cluster.owns(s.path()) && store.dropLocal(s.path()).isPresent()) {
        cluster.metrics().droppedAfterHandover.increment();
      }
    }
    return sent;
  }

  /** Which of {@code paths} {@code member} holds; null if it did not answer. */
  private Set<String> holds(Member member, List<String> paths) {
    try {
      byte[] answer = cluster.peers().action(member, HOLDS, String.join("\n", paths).getBytes(StandardCharsets.UTF_8));
      Set<String> out = new HashSet<>();
      for (JsonNode n : JSON.readTree(answer).path("held")) {
        out.add(n.asText());
      }
      return out;
    } catch (Exception e) {
      LOG.info("Rebalancing: node {} did not say what it holds ({}); skipped this pass", member.id(), e.getMessage());
      return null;
    }
  }

  private void throttle(long bytes) {
    long millis = bytes * 1000 / bytesPerSecond;
    if (millis > 0) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops rebalancing, and waits for a copy in progress to give its lease back (the store closes next). */
  @Override
  public void close() {
    closed = true;
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(cluster.peerTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("Rebalancing did not stop within {}", cluster.peerTimeout());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
