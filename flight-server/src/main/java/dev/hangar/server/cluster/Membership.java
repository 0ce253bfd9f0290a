package dev.hangar.server.cluster;

import dev.hangar.config.ClusterConfig;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership of the cluster, kept in etcd: one key per node,
 * {@code /hangar/<name>/members/<nodeId>}, attached to a lease the node renews every third of
 * {@code cluster.leaseTtl}. A node that stops renewing (killed, cut off) loses its key when the lease
 * runs out, and every other node sees it leave. Members are learnt from a watch on the prefix and
 * re-read on every renewal, so a missed event is repaired within a heartbeat.
 *
 * <p>When etcd cannot be reached the node keeps the last member list it saw and keeps serving by it:
 * reads, writes and placement go on as before. What stops is change: a node that joins or dies
 * meanwhile is not seen until etcd answers again. {@link #view()} says which it is; {@code /ready}
 * reports it.
 */
public final class Membership implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
  /** While etcd does not answer, the client is made anew this often: gRPC's reconnect backoff grows to two minutes. */
  private static final long RECONNECT_EVERY_NANOS = 5_000_000_000L;

  /** What this node knows of the cluster now. */
  public record View(List<Member> members, boolean etcdReachable, Optional<Instant> unreachableSince, long changes) {}

  private final ClusterConfig config;
  private final EtcdAccess access;
  private final Member self;
  private volatile Client etcd; // replaced (under lock) while etcd does not answer
  private long connectedAt = System.nanoTime(); // guarded by lock
  private final ByteSequence prefix;
  private final ByteSequence key;
  private final ScheduledExecutorService heartbeat;
  private final List<Consumer<View>> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private Watch.Watcher watcher;
  private long lease; // 0: none held
  private volatile View view;
  private volatile boolean closed;
  private volatile String problem = "not asked yet"; // why etcd did not answer the last time it did not
  private volatile Exception lastFailure;
  private volatile boolean started; // start() has reported how etcd answered

  public Membership(ClusterConfig config, EtcdAccess access, Member self) {
    this.config = config;
    this.access = access;
    this.self = self;
    this.prefix = bytes("/hangar/" + config.name() + "/members/");
    this.key = bytes("/hangar/" + config.name() + "/members/" + config.nodeId());
    this.etcd = access.connect();
    this.view = new View(List.of(self), false, Optional.of(Instant.now()), 0);
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hangar-membership");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Registers this node and reads the members, waiting up to {@code wait} for etcd. A node that
   * cannot reach etcd at start still starts, alone, and joins when etcd answers.
   */
  public void start(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!beat() && System.nanoTime() < deadline) {
      sleep(200);
    }
    if (!view.etcdReachable()) {
      Exception last = lastFailure;
      if (last != null) {
        problem = access.diagnose(last); // no lease to keep yet: this thread may wait for the probe
      }
      LOG.warn("Cluster {}: etcd ({}) does not answer: {}; serving alone until it does", config.name(), access.endpoints(), problem);
    }
    started = true;
    long period = Math.max(200, config.leaseTtl().toMillis() / 3);
    heartbeat.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
  }

  public Member self() {
    return self;
  }

  public View view() {
    return view;
  }

  /** Whether the node has had its first answer from etcd, or given up waiting for it at start. */
  public boolean started() {
    return started;
  }

  /** Why etcd does not answer (e.g. a TLS handshake that failed, a login it refused); empty while it answers. */
  public Optional<String> problem() {
    if (view.etcdReachable()) {
      return Optional.empty();
    }
    Exception last = lastFailure;
    return Optional.of(last == null ? problem : access.explain(last)); // the latest probe's finding, not the last heartbeat's
  }

  /** Called with every new view (on the membership thread); keep it short. */
  public void onChange(Consumer<View> listener) {
    listeners.add(listener);
  }

  /** One heartbeat: renew (or take) the lease and the member key, then re-read the members. */
  private boolean beat() {
    if (closed) {
      return false;
    }
    if (access.reloadIfChanged()) {
      reconnect(true);
    }
    long timeout = Math.max(1000, config.leaseTtl().toMillis() / 2);
    try {
      synchronized (lock) {
        if (lease != 0) {
          LeaseKeepAliveResponse r = etcd.getLeaseClient().keepAliveOnce(lease).get(timeout, TimeUnit.MILLISECONDS);
          if (r.getTTL() <= 0) {
            LOG.warn("Cluster {}: this node's lease ran out while etcd was away; registering again", config.name());
            lease = 0;
          }
        }
        if (lease == 0) {
          long id = etcd.getLeaseClient().grant(config.leaseTtl().toSeconds()).get(timeout, TimeUnit.MILLISECONDS).getID();
          etcd.getKVClient().put(key, bytes(self.encode()), PutOption.builder().withLeaseId(id).build())
              .get(timeout, TimeUnit.MILLISECONDS);
          lease = id;
          LOG.info("Cluster {}: node {} registered at {}", config.name(), self.id(), self.flight());
        }
        if (watcher == null) {
          watcher = etcd.getWatchClient().watch(prefix, WatchOption.builder().isPrefix(true).build(),
              Watch.listener(response -> heartbeat.execute(this::refreshQuietly), error -> dropWatcher()));
        }
        refresh(timeout);
      }
      return true;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      unreachable(e);
      reconnect(false);
      return false;
    }
  }

  /**
   * A new etcd client: {@code always} when the etcdTls files changed, else once etcd has not
   * answered for a while, so that the node sees etcd back within a heartbeat or two (the old
   * client's channel waits out gRPC's reconnect backoff, which after an outage of minutes is up to
   * two minutes long). The lease (if it has not run out) and the member key carry over; the watch
   * is made again by the next heartbeat.
   */
  private void reconnect(boolean always) {
    Client old;
    synchronized (lock) {
      if (closed || !always && (view.etcdReachable() || System.nanoTime() - connectedAt < RECONNECT_EVERY_NANOS)) {
        return;
      }
      old = etcd;
      if (watcher != null) {
        watcher.close();
        watcher = null;
      }
      etcd = access.connect();
      connectedAt = System.nanoTime();
    }
    LOG.debug("Cluster {}: connecting to etcd anew", config.name());
    old.close();
  }

  private void refreshQuietly() {
    try {
      synchronized (lock) {
        refresh(2000);
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      unreachable(e);
    }
  }

  private void dropWatcher() {
    synchronized (lock) {
      if (watcher != null) {
        watcher.close();
        watcher = null; // the next heartbeat watches again
      }
    }
  }

  private void refresh(long timeoutMillis) throws Exception {
    List<KeyValue> kvs = etcd.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
        .get(timeoutMillis, TimeUnit.MILLISECONDS).getKvs();
    Map<String, Member> members = new TreeMap<>();
    for (KeyValue kv : kvs) {
      try {
        Member m = Member.decode(kv.getValue().toString(StandardCharsets.UTF_8));
        members.put(m.id(), m);
      } catch (IllegalArgumentException e) {
        LOG.warn("Cluster {}: ignoring a malformed member record under {}", config.name(), kv.getKey().toString(StandardCharsets.UTF_8));
      }
    }
    members.put(self.id(), self); // this node serves whatever etcd says
    publish(new ArrayList<>(members.values()), true);
  }

  private void unreachable(Exception e) {
    if (closed) {
      return;
    }
    lastFailure = e;
    String why = access.explain(e);
    LOG.debug("Cluster {}: a call to etcd failed", config.name(), e);
    String before = problem;
    problem = why;
    View v = view;
    if (v.etcdReachable()) {
      LOG.warn("Cluster {}: etcd does not answer: {}; serving with the last {} member(s) known, no membership changes"
          + " are seen until it does", config.name(), why, v.members().size());
      publish(v.members(), false);
    } else if (started && !why.equals(before)) {
      LOG.warn("Cluster {}: etcd still does not answer, now: {}", config.name(), why);
    }
  }

  private void publish(List<Member> members, boolean reachable) {
    View old = view;
    boolean changed = !old.members().equals(members);
    if (!changed && old.etcdReachable() == reachable) {
      return;
    }
    Optional<Instant> since = reachable ? Optional.empty() : old.unreachableSince().or(() -> Optional.of(Instant.now()));
    View next = new View(List.copyOf(members), reachable, since, old.changes() + (changed ? 1 : 0));
    view = next;
    if (reachable && !old.etcdReachable() && started) {
      LOG.info("Cluster {}: etcd answers again{}", config.name(), old.unreachableSince()
          .map(t -> " after " + Duration.between(t, Instant.now()).toSeconds() + " s").orElse(""));
    }
    if (changed) {
      LOG.info("Cluster {}: members now {}", config.name(), members.stream().map(Member::id).toList());
    }
    for (Consumer<View> l : listeners) {
      try {
        l.accept(next);
      } catch (RuntimeException ex) {
        LOG.warn("Cluster {}: a membership listener failed: {}", config.name(), ex.toString());
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    heartbeat.shutdownNow();
    synchronized (lock) {
      if (watcher != null) {
        watcher.close();
      }
      if (lease != 0) {
        try {
          etcd.getLeaseClient().revoke(lease).get(2, TimeUnit.SECONDS); // leave at once, not after the TTL
        } catch (Exception e) {
          LOG.info("Cluster {}: could not revoke this node's lease ({}); it leaves when the lease runs out", config.name(),
              e.getClass().getSimpleName());
        }
      }
    }
    etcd.close();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
