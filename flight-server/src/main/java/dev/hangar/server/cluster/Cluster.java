package dev.hangar.server.cluster;

import dev.hangar.config.ClusterConfig;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.server.security.Authenticator;
import dev.hangar.server.security.Principal;
import dev.hangar.storage.FlightLease;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.StorageClass;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.arrow.flight.impl.Flight;

/**
 * This node's view of the cluster and what it decides from it: which live nodes own a flight
 * (rendezvous hashing of the class's placement key over the members, the top {@code replicas}), and
 * how a flight's copy is sent to another node. Nothing per flight is kept in etcd: any node computes
 * the same owners from the same members.
 */
public final class Cluster implements AutoCloseable {
  private final ClusterConfig config;
  private final EtcdAccess etcd;
  private volatile Membership membership; // null until the node is listening and joins
  private volatile Rebalancer rebalancer;
  private final java.util.concurrent.atomic.AtomicBoolean left = new java.util.concurrent.atomic.AtomicBoolean();
  private final Peers peers;
  private final FlightStore store;
  private final FlightDataEncoder encoder;
  private final ClusterMetrics metrics = new ClusterMetrics();
  private volatile long changedAt = System.nanoTime(); // the last membership change seen

  /** The peer action: drop this node's copy of the body's path if it is older than the version named, and not owned here. */
  public static final String SUPERSEDE = "cluster-supersede";
  /** How long after a membership change puts tell former owners of their flights that a new version exists. */
  static final Duration HANDOVER_WINDOW = Rebalancer.PERIOD.multipliedBy(2);

  /** Turns a stored message into the bytes of its FlightData (the data plane's encoding). */
  public interface FlightDataEncoder {
    byte[] encode(byte[] descriptor, byte[] header, byte[] appMetadata, dev.hangar.tiers.ipc.Body body);
  }

  public Cluster(ClusterConfig config, EtcdAccess etcd, Peers peers, FlightStore store, FlightDataEncoder encoder) {
    this.config = config;
    this.etcd = etcd;
    this.peers = peers;
    this.store = store;
    this.encoder = encoder;
  }

  /**
   * Joins the cluster as {@code self} (once the Flight port is bound, so the location is known),
   * waiting up to {@code wait} for etcd; a node whose etcd does not answer starts alone and joins later.
   */
  public void join(Member self, Duration wait) {
    Membership m = new Membership(config, etcd, self);
    Rebalancer r = new Rebalancer(this, store);
    m.onChange(v -> peers.retain(v.members()));
    m.onChange(v -> changedAt = System.nanoTime());
    m.onChange(v -> r.request());
    membership = m;
    rebalancer = r;
    m.start(wait);
  }

  /** The rebalancer, once joined; null before. */
  public Rebalancer rebalancer() {
    return rebalancer;
  }

  /** A note for {@code /ready} when the node cannot see the cluster; null when it can. */
  public String healthNote() {
    Membership m = membership;
    if (m == null) {
      return "cluster: not joined yet";
    }
    Membership.View v = m.view();
    if (v.etcdReachable()) {
      return null;
    }
    if (!m.started()) {
      return "cluster " + config.name() + ": joining (waiting for etcd's first answer)";
    }
    return "cluster " + config.name() + ": etcd does not answer" + v.unreachableSince().map(t -> " since " + t).orElse("")
        + m.problem().map(p -> " (" + p + ")").orElse("")
        + "; serving with the last " + v.members().size() + " member(s) known (" + v.members().stream().map(Member::id)
        .collect(Collectors.joining(", ")) + "); nodes that join or leave meanwhile are not seen";
  }

  public ClusterConfig config() {
    return config;
  }

  /** The membership, once joined; null before. */
  public Membership membership() {
    return membership;
  }

  public Peers peers() {
    return peers;
  }

  public ClusterMetrics metrics() {
    return metrics;
  }

  public Member self() {
    Membership m = membership;
    return m != null ? m.self() : new Member(config.nodeId(), "", "");
  }

  public boolean isSelf(Member m) {
    return m.id().equals(self().id());
  }

  /** The cluster as {@code stats} reports it: members, etcd, and what this node passed on to others. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("name", config.name());
    m.put("self", self().id());
    List<Map<String, String>> members = new ArrayList<>();
    for (Member member : members()) {
      members.add(Map.of("id", member.id(), "flight", member.flight(), "http", member.http()));
    }
    m.put("members", members);
    Membership ms = membership;
    m.put("etcdReachable", ms != null && ms.view().etcdReachable());
    if (ms != null) {
      ms.problem().ifPresent(p -> m.put("etcdProblem", p));
    }
    m.put("membershipChanges", ms == null ? 0 : ms.view().changes());
    m.put("forwardedPuts", metrics.forwardedPuts.sum());
    m.put("proxiedGets", metrics.proxiedGets.sum());
    m.put("replicaCopies", metrics.replicaCopies.sum());
    m.put("replicaFailures", metrics.replicaFailures.sum());
    m.put("rebalanceCopies", metrics.rebalancedFlights.sum());
    m.put("rebalanceDrops", metrics.droppedAfterHandover.sum());
    m.put("sentBytes", metrics.bytesSent.sum());
    return m;
  }

  /** The live members now, in id order. */
  public List<Member> members() {
    Membership m = membership;
    return m != null ? m.view().members() : List.of(self());
  }

  /** The members other than this node. */
  public List<Member> others() {
    return members().stream().filter(m -> !isSelf(m)).toList();
  }

  /** The live owners of {@code path}, primary first: the top {@code replicas} members for its placement key. */
  public List<Member> owners(String path) {
    return ranked(path, 1);
  }

  /**
   * Where {@code path} may be held, in the order to ask: its owners, then the next {@code replicas}
   * nodes in its rendezvous order. Those owned it before the last node that joined took their place,
   * and hold it until they have handed it over, so a read during the handover still finds it.
   */
  public List<Member> candidates(String path) {
    return ranked(path, 2);
  }

  /** The top {@code replicas × times} members for {@code path}'s placement key, primary first. */
  private List<Member> ranked(String path, int times) {
    Ranking r = ranking();
    StorageClassConfig sc = store.classOf(path).map(StorageClass::config).orElse(null);
    String key = sc == null ? path : sc.placementKey(path);
    int replicas = sc == null ? 1 : sc.replicas();
    return Rendezvous.owners(key, r.nodes(), replicas * times).stream().map(r.byId()::get).toList();
  }

  /** The members of one view, ready for placement: their hashes worked out once, not per call. */
  private record Ranking(List<Member> members, Rendezvous.Nodes nodes, Map<String, Member> byId) {}

  private volatile Ranking ranking;

  private Ranking ranking() {
    List<Member> members = members();
    Ranking r = ranking;
    if (r == null || r.members() != members) { // a new view is a new list
      Map<String, Member> byId = members.stream().collect(Collectors.toMap(Member::id, Function.identity()));
      r = new Ranking(members, new Rendezvous.Nodes(new ArrayList<>(byId.keySet())), byId);
      ranking = r;
    }
    return r;
  }

  /**
   * The other nodes a listing of {@code prefix} asks. All of them, unless every flight under the
   * prefix is placed by one key: the prefix lies in one class placed by {@code placement.segments}
   * and covers that many whole segments (a tenant's prefix, say). Then only that key's owners and
   * former owners ({@link #candidates}) can hold any of them, whatever the cluster's size.
   */
  public List<Member> listingPeers(String prefix) {
    StorageClass c = store.classOf(prefix).orElse(null);
    int segments = c == null ? 0 : c.config().placementSegments();
    boolean oneClass = c != null && store.classes().stream()
        .noneMatch(other -> other != c && other.prefix().startsWith(prefix) && other.prefix().length() > prefix.length());
    if (segments == 0 || !oneClass || prefix.chars().filter(ch -> ch == '/').count() < segments) {
      return others();
    }
    return candidates(prefix + "x").stream().filter(m -> !isSelf(m)).toList(); // any path under it has the prefix's key
  }

  public boolean owns(String path) {
    return owners(path).stream().anyMatch(this::isSelf);
  }

  private static final io.grpc.Context.Key<Boolean> PEER_CALL = io.grpc.Context.key("hangar-peer-call");
  private static final io.grpc.Context.Key<java.time.Instant> REPLICA_OF = io.grpc.Context.key("hangar-replica-of");

  /**
   * Whether the current call came from another node and asks to be answered from this node's own
   * state: the caller presented the cluster token (so runs as {@link Principal#CLUSTER}) and sent
   * {@link Peers#LOCAL}. A client cannot ask for it without the token.
   */
  public static boolean isPeerCall() {
    return Boolean.TRUE.equals(PEER_CALL.get());
  }

  /** Whether the current call is another node's replica copy ({@link Peers#REPLICA}, from the cluster principal). */
  public static boolean isReplicaPut() {
    return REPLICA_OF.get() != null;
  }

  /** For a replica put: when the primary committed the version it copies; else null. */
  public static java.time.Instant replicaOf() {
    return REPLICA_OF.get();
  }

  private static java.time.Instant instant(String header) {
    try {
      return header == null ? null : java.time.Instant.parse(header);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  /**
   * Marks calls from other nodes ({@link #isPeerCall()}, {@link #isReplicaPut()}); runs after the
   * authenticator, which alone decides who is {@link Principal#CLUSTER}.
   */
  public static io.grpc.ServerInterceptor peerCalls() {
    return new io.grpc.ServerInterceptor() {
      @Override
      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
          io.grpc.ServerCallHandler<Q, R> next) {
        if (Authenticator.current() != Principal.CLUSTER) {
          return next.startCall(call, headers);
        }
        io.grpc.Context c = io.grpc.Context.current().withValue(PEER_CALL, "1".equals(headers.get(Peers.LOCAL)))
            .withValue(REPLICA_OF, instant(headers.get(Peers.REPLICA)));
        return io.grpc.Contexts.interceptCall(c, call, headers, next);
      }
    };
  }

  /** GetFlightInfo of {@code descriptor} at {@code member}; null if it does not hold the flight or does not answer. */
  public Flight.FlightInfo askInfo(Member member, Flight.FlightDescriptor descriptor) {
    try {
      return peers.getFlightInfo(member, descriptor);
    } catch (io.grpc.StatusRuntimeException e) {
      return null;
    }
  }

  /**
   * A lease on {@code path} streamed from another node that holds it, for a reader on this node that
   * does not (SQL over a flight placed elsewhere); nothing of it is cached here. Empty if this node
   * owns and holds the flight, or no other owner has it (then the reader opens it here: a copy not
   * handed over yet, or the durable one). As for DoGet, the owners' copy comes before a copy this
   * node holds without owning it.
   */
  public java.util.Optional<FlightLease> openElsewhere(String path) {
    dev.hangar.storage.FlightPath.validate(path);
    if (store.holds(path) && owns(path)) {
      return java.util.Optional.empty();
    }
    for (Member m : candidates(path)) {
      if (isSelf(m)) {
        continue;
      }
      PeerFlight flight;
      try {
        flight = PeerFlight.open(peers, m, path);
      } catch (io.grpc.StatusRuntimeException e) {
        continue; // it does not have it, or does not answer: the next owner
      }
      try {
        metrics.proxiedGets.increment();
        return java.util.Optional.of(store.elsewhere(path, flight));
      } catch (RuntimeException e) {
        flight.free();
        throw e;
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * After a put of {@code path} committed here at {@code committedAt}: while a handover may be under
   * way (within {@link #HANDOVER_WINDOW} of a membership change), tells the nodes that owned the
   * flight before the change to drop an older copy they have not handed over yet. Without it, if this
   * node died before their rebalancing pass, such a node, owning the flight again, would serve the
   * version this put replaced. A node that does not answer is skipped: its next pass, or the
   * owners' versions, settle it.
   */
  public void supersede(String path, java.time.Instant committedAt) {
    if (System.nanoTime() - changedAt > HANDOVER_WINDOW.toNanos()) {
      return;
    }
    List<Member> owners = owners(path);
    byte[] body = (path + "\n" + committedAt).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (Member m : candidates(path)) {
      if (!owners.contains(m) && !isSelf(m)) {
        try {
          peers.action(m, SUPERSEDE, body);
        } catch (io.grpc.StatusRuntimeException e) {
          // gone or slow: nothing to tell
        }
      }
    }
  }

  /** This node's side of {@link #supersede}: drops its copy of {@code path} if older and not owned here. */
  public boolean superseded(String path, java.time.Instant committedAt) {
    if (owns(path) || !store.holds(path)) {
      return false;
    }
    try {
      return store.info(path).committedAt().isBefore(committedAt) && store.dropLocal(path).isPresent();
    } catch (dev.hangar.storage.FlightNotFoundException e) {
      return false;
    }
  }

  /**
   * Sends this node's copy of {@code path} to {@code target} as a replica's put of the same messages
   * (no durable write there), and waits for it to be stored (at most the peer timeout). The copy
   * carries its version's commit time: the target refuses it, ALREADY_EXISTS, if it holds a newer
   * version or saw a later delete.
   *
   * @throws io.grpc.StatusRuntimeException if the target refused it or could not be reached
   */
  public Flight.PutResult copy(String path, Member target) {
    try (FlightLease lease = store.open(path)) {
      return send(path, lease, target);
    }
  }

  private Flight.PutResult send(String path, FlightLease lease, Member target) {
    Semaphore ready = new Semaphore(0);
    CompletableFuture<Flight.PutResult> result = new CompletableFuture<>();
    ClientCall<byte[], Flight.PutResult> call = peers.call(target, Peers.DO_PUT,
        CallOptions.DEFAULT.withDeadlineAfter(peers.timeout().toMillis(), TimeUnit.MILLISECONDS));
    call.start(new ClientCall.Listener<>() {
      private Flight.PutResult answer;

      @Override
      public void onMessage(Flight.PutResult message) {
        answer = message;
      }

      @Override
      public void onReady() {
        ready.release();
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        ready.release(1_000_000); // wake a sender waiting for room
        if (status.isOk()) {
          result.complete(answer);
        } else {
          result.completeExceptionally(status.asRuntimeException(trailers));
        }
      }
    }, peers.headers(false, lease.summary().committedAt()));
    call.request(1);
    long bytes = 0;
    try (MessageCursor cursor = lease.cursor()) {
      byte[] descriptor = Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH)
          .addAllPath(List.of(path.split("/", -1))).build().toByteArray();
      var schema = lease.summary().schema();
      call.sendMessage(encoder.encode(descriptor, schema.message(), schema.appMetadata(), null));
      Message m;
      while (!result.isDone() && (m = cursor.next()) != null) { // in this order: a message taken holds its body
        while (!call.isReady() && !result.isDone()) {
          ready.tryAcquire(100, TimeUnit.MILLISECONDS);
        }
        byte[] frame;
        try (dev.hangar.tiers.ipc.Body body = m.body()) {
          frame = encoder.encode(null, m.header().bytes(), m.appMetadata(), body);
        }
        bytes += frame.length;
        call.sendMessage(frame);
      }
      call.halfClose();
      Flight.PutResult r = result.get(peers.timeout().toMillis(), TimeUnit.MILLISECONDS);
      metrics.copied(bytes);
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      call.cancel("interrupted", e);
      throw Status.CANCELLED.withDescription("Copying \"" + path + "\" to node " + target.id() + " was interrupted").asRuntimeException();
    } catch (java.util.concurrent.TimeoutException e) {
      call.cancel("timed out", e);
      throw Status.DEADLINE_EXCEEDED.withDescription("Copying \"" + path + "\" to node " + target.id() + " took longer than "
          + peers.timeout().toSeconds() + " s").asRuntimeException();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (RuntimeException e) {
      call.cancel("failed", e);
      throw e;
    }
  }

  /** How long to wait for a peer before giving up on it. */
  public Duration peerTimeout() {
    return peers.timeout();
  }

  /**
   * Leaves the cluster: stops rebalancing and revokes this node's lease, so that the others place
   * and route without it from now on. The channels to the peers stay open, because calls already
   * running here (a put sending its replica, a proxied read) must still finish: close them with
   * {@link #close()} once those calls have ended.
   */
  public void leave() {
    if (!left.compareAndSet(false, true)) {
      return;
    }
    Rebalancer r = rebalancer;
    if (r != null) {
      r.close();
    }
    Membership m = membership;
    if (m != null) {
      m.close();
    }
  }

  /** Leaves the cluster if it has not yet, then closes the channels to the peers. */
  @Override
  public void close() {
    leave();
    peers.close();
  }
}
