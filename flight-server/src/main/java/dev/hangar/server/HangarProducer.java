package dev.hangar.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hangar.storage.FlightLease;
import dev.hangar.config.AuthConfig.Access;
import dev.hangar.server.security.Grants;
import dev.hangar.storage.FlightPath;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.FlightSummary;
import dev.hangar.storage.InvalidUploadException;
import dev.hangar.storage.StoreStats;
import dev.hangar.storage.Upload;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightProducer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SchemaResult;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;

/**
 * Hangar's Flight RPC surface (DESIGN §7). Paths are validated and domain exceptions mapped to
 * status codes in {@link Errors}; the storage work is {@link FlightStore}'s.
 */
final class HangarProducer implements FlightProducer {
  static final String QUERY_TO_FLIGHT = "query-to-flight";

  /** The actions DoAction accepts, as ListActions describes them. */
  static final List<ActionType> ACTIONS =
      List.of(
          new ActionType("delete", "Delete the flight at the path given as the UTF-8 body; returns JSON describing it"),
          new ActionType("delete-prefix", "Delete every flight whose path starts with the UTF-8 body (non-empty); returns JSON with the count"),
          new ActionType("stats", "JSON: bytes, capacity and flights per storage type; flights, bytes, hits, misses, puts, evictions per storage class; usage and limits per limit-policy scope"),
          new ActionType("describe", "JSON: where the flight at the path given as the UTF-8 body lives now, and its size and times"),
          new ActionType(org.apache.arrow.flight.FlightConstants.RENEW_FLIGHT_ENDPOINT.getType(),
              "Standard Flight action: extends the endpoint's expiration by its class's TTL from now; returns the FlightEndpoint"),
          new ActionType(QUERY_TO_FLIGHT,
              "Runs a SQL query and stores its result as a flight: JSON body {\"sql\": \"SELECT ...\", \"path\": \"cache/t1/report\"};"
                  + " returns the stored flight as DoPut describes it"));

  /** Flight SQL's actions, which go to {@link FlightSqlService}. */
  private static final java.util.Set<String> SQL_ACTIONS = sqlActionTypes();

  private static java.util.Set<String> sqlActionTypes() {
    java.util.Set<String> types = new java.util.HashSet<>();
    org.apache.arrow.flight.sql.FlightSqlUtils.FLIGHT_SQL_ACTIONS.forEach(a -> types.add(a.getType()));
    types.add(org.apache.arrow.flight.FlightConstants.CANCEL_FLIGHT_INFO.getType());
    return java.util.Set.copyOf(types);
  }

  private static final ObjectMapper JSON = Json.MAPPER;

  private final FlightStore store;
  private final CallTracker calls;
  private final FlightSqlService sql; // null when sql.enabled is false
  private final dev.hangar.server.sql.SqlEngine engine;
  private dev.hangar.server.security.Authenticator authenticator; // set once the server has one

  private dev.hangar.server.cluster.Cluster cluster; // null: a node on its own

  void cluster(dev.hangar.server.cluster.Cluster c) {
    this.cluster = c;
  }

  void authenticator(dev.hangar.server.security.Authenticator a) {
    this.authenticator = a;
  }

  HangarProducer(FlightStore store, CallTracker calls, FlightSqlService sql, dev.hangar.server.sql.SqlEngine engine) {
    this.store = store;
    this.sql = sql;
    this.engine = engine;
    this.calls = calls;
  }

  // ---- Flight SQL's data calls --------------------------------------------------------
  // DoGet, DoPut, GetFlightInfo, GetSchema and ListFlights of flight paths are the data plane's
  // (dataplane.DataPlane), which keeps every message as sent; only Flight SQL commands reach here.

  @Override
  public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
    try {
      FlightSqlService service = sql("DoGet");
      SqlMessages.check(ticket.getBytes(), "the ticket");
      service.getStream(context, ticket, listener);
    } catch (RuntimeException e) {
      listener.error(Errors.toFlight(e, "DoGet"));
    }
  }

  @Override
  public Runnable acceptPut(CallContext context, FlightStream stream, StreamListener<PutResult> ack) {
    return () -> {
      calls.enter();
      try {
        sqlCommand(stream.getDescriptor(), "DoPut");
        sql.acceptPut(context, stream, ack).run();
      } catch (Throwable t) {
        ack.onError(Errors.toFlight(t, "DoPut"));
      } finally {
        calls.exit();
      }
    };
  }

  // ---- metadata RPCs --------------------------------------------------------------------

  @Override
  public FlightInfo getFlightInfo(CallContext context, FlightDescriptor descriptor) {
    calls.enter();
    try {
      return sqlCommand(descriptor, "GetFlightInfo").getFlightInfo(context, descriptor);
    } catch (RuntimeException e) {
      throw Errors.toFlight(e, "GetFlightInfo");
    } finally {
      calls.exit();
    }
  }

  @Override
  public SchemaResult getSchema(CallContext context, FlightDescriptor descriptor) {
    calls.enter();
    try {
      return sqlCommand(descriptor, "GetSchema").getSchema(context, descriptor);
    } catch (RuntimeException e) {
      throw Errors.toFlight(e, "GetSchema");
    } finally {
      calls.exit();
    }
  }

  @Override
  public void listFlights(CallContext context, Criteria criteria, StreamListener<FlightInfo> listener) {
    listener.onError(org.apache.arrow.flight.CallStatus.UNIMPLEMENTED.withDescription("ListFlights is served by the data plane")
        .toRuntimeException());
  }

  private static FlightEndpoint endpoint(FlightSummary s) {
    FlightEndpoint.Builder endpoint = FlightEndpoint.builder(new Ticket(s.path().getBytes(StandardCharsets.UTF_8)));
    s.expiresAt().ifPresent(endpoint::setExpirationTime);
    return endpoint.build();
  }

  // ---- actions --------------------------------------------------------------------------

  @Override
  public void listActions(CallContext context, StreamListener<ActionType> listener) {
    ACTIONS.forEach(listener::onNext);
    if (sql != null) { // the Flight SQL actions Hangar implements (no transactions, savepoints or Substrait)
      listener.onNext(org.apache.arrow.flight.sql.FlightSqlUtils.FLIGHT_SQL_CREATE_PREPARED_STATEMENT);
      listener.onNext(org.apache.arrow.flight.sql.FlightSqlUtils.FLIGHT_SQL_CLOSE_PREPARED_STATEMENT);
      listener.onNext(org.apache.arrow.flight.sql.FlightSqlUtils.FLIGHT_SQL_CANCEL_QUERY);
      listener.onNext(org.apache.arrow.flight.FlightConstants.CANCEL_FLIGHT_INFO);
    }
    listener.onCompleted();
  }

  @Override
  public void doAction(CallContext context, Action action, StreamListener<Result> listener) {
    calls.enter();
    try {
      byte[] body = action.getBody() == null ? new byte[0] : action.getBody();
      if (SQL_ACTIONS.contains(action.getType())) {
        FlightSqlService service = sql("DoAction " + action.getType());
        checkSqlAction(action.getType(), body);
        service.doAction(context, action, listener);
        return;
      }
      if (action.getType().equals(org.apache.arrow.flight.FlightConstants.RENEW_FLIGHT_ENDPOINT.getType())) {
        listener.onNext(new Result(renew(body)));
        listener.onCompleted();
        return;
      }
      Object result =
          switch (action.getType()) {
            case "delete" -> delete(granted(Access.WRITE, FlightPath.fromUtf8(body, "delete body")));
            case "describe" -> describe(store.info(granted(Access.READ, FlightPath.fromUtf8(body, "describe body"))), "describe");
            case "delete-prefix" -> {
              String prefix = utf8(body, "delete-prefix body");
              if (prefix.isEmpty()) {
                throw new Errors.BadRequestException(
                    "Cannot delete-prefix with an empty prefix: it would delete every flight (name a prefix, e.g. cache/tenant1/)");
              }
              Grants.requireWriteUnder(prefix);
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("prefix", prefix);
              m.put("deleted", deletePrefix(prefix));
              yield m;
            }
            case CLUSTER_DROP -> {
              peerOnly(action.getType());
              yield store.forgetDeleted(FlightPath.fromUtf8(body, "drop body")).map(d -> describe(d, "deleted")).orElse(Map.of());
            }
            case dev.hangar.server.cluster.Rebalancer.HOLDS -> {
              peerOnly(action.getType());
              java.util.List<String> held = new java.util.ArrayList<>();
              for (String p : utf8(body, "holds body").split("\n")) {
                if (!p.isEmpty() && store.holds(p)) {
                  held.add(p);
                }
              }
              yield Map.of("held", held);
            }
            case dev.hangar.server.cluster.Cluster.SUPERSEDE -> {
              peerOnly(action.getType());
              String[] lines = utf8(body, "supersede body").split("\n", 2);
              if (lines.length != 2) {
                throw new Errors.BadRequestException("cluster-supersede needs a path and a time");
              }
              java.time.Instant committedAt;
              try {
                committedAt = java.time.Instant.parse(lines[1]);
              } catch (java.time.format.DateTimeParseException e) {
                throw new Errors.BadRequestException("cluster-supersede needs a path and a time");
              }
              yield Map.of("dropped", cluster.superseded(lines[0], committedAt));
            }
            case CLUSTER_DROP_PREFIX -> {
              peerOnly(action.getType());
              yield Map.of("paths", store.forgetDeletedPrefix(utf8(body, "drop-prefix body")));
            }
            case "stats" -> {
              Grants.requireNodeAdmin("read the node's stats");
              Map<String, Object> m = stats(store.stats());
              if (sql != null) {
                m.put("sql", sql.stats());
              }
              if (authenticator != null) {
                Map<String, Object> auth = new LinkedHashMap<>();
                auth.put("principals", authenticator.usage());
                auth.put("failures", authenticator.failures());
                auth.put("sessions", authenticator.sessionCount());
                m.put("auth", auth);
              }
              if (cluster != null) {
                m.put("cluster", cluster.describe());
              }
              yield m;
            }
            case QUERY_TO_FLIGHT -> queryToFlight(body);
            default -> throw new Errors.BadRequestException("Unknown action \"" + action.getType() + "\" (available: "
                + String.join(", ", ACTIONS.stream().map(ActionType::getType).toList()) + ")");
          };
      listener.onNext(new Result(json(result)));
      listener.onCompleted();
    } catch (RuntimeException e) {
      listener.onError(Errors.toFlight(e, "DoAction " + action.getType()));
    } finally {
      calls.exit();
    }
  }

  /** The body of a Flight SQL action must be the message that action takes, whole. */
  private static void checkSqlAction(String type, byte[] body) {
    String what = "the " + type + " body";
    if (type.equals(org.apache.arrow.flight.FlightConstants.CANCEL_FLIGHT_INFO.getType())) {
      try {
        org.apache.arrow.flight.impl.Flight.CancelFlightInfoRequest.parseFrom(body);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new Errors.BadRequestException("Invalid CancelFlightInfo request: the body is not a serialized CancelFlightInfoRequest");
      }
      return;
    }
    String expected = switch (type) {
      case "CreatePreparedStatement" -> "ActionCreatePreparedStatementRequest";
      case "ClosePreparedStatement" -> "ActionClosePreparedStatementRequest";
      case "CancelQuery" -> "ActionCancelQueryRequest";
      case "BeginTransaction" -> "ActionBeginTransactionRequest";
      case "EndTransaction" -> "ActionEndTransactionRequest";
      case "BeginSavepoint" -> "ActionBeginSavepointRequest";
      case "EndSavepoint" -> "ActionEndSavepointRequest";
      case "CreatePreparedSubstraitPlan" -> "ActionCreatePreparedSubstraitPlanRequest";
      default -> null;
    };
    if (expected != null) {
      SqlMessages.check(body, what, expected);
    }
  }

  /** The SQL service, for a command descriptor that holds a Flight SQL command; anything else is refused. */
  private FlightSqlService sqlCommand(FlightDescriptor descriptor, String rpc) {
    if (sql == null) {
      throw new Errors.BadRequestException(rpc + " needs a path descriptor naming a flight: SQL commands are disabled on this node"
          + " (sql.enabled: false)");
    }
    if (!FlightSqlService.isSqlTicket(descriptor.getCommand())) {
      throw new Errors.BadRequestException(rpc + ": the command descriptor holds no Flight SQL command (send one of Flight SQL's"
          + " commands, e.g. CommandStatementQuery through a Flight SQL client; to name a flight, use a path descriptor)");
    }
    SqlMessages.check(descriptor.getCommand(), "the " + rpc + " command");
    return sql;
  }

  private FlightSqlService sql(String what) {
    if (sql == null) {
      throw new Errors.BadRequestException("Cannot serve " + what + ": SQL is disabled on this node (sql.enabled: false)");
    }
    return sql;
  }

  private Map<String, Object> queryToFlight(byte[] body) {
    sql(QUERY_TO_FLIGHT);
    com.fasterxml.jackson.databind.JsonNode request;
    try {
      request = JSON.readTree(body);
    } catch (java.io.IOException e) {
      request = null;
    }
    if (request == null || !request.path("sql").isTextual() || !request.path("path").isTextual()) {
      throw new Errors.BadRequestException("Invalid query-to-flight body: send JSON {\"sql\": \"SELECT ...\", \"path\": \"cache/t1/report\"}");
    }
    String path = granted(Access.WRITE, FlightPath.of(List.of(request.get("path").asText())));
    Map<String, Object> m = Json.putResult(engine.storeResult(request.get("sql").asText(), path));
    return m;
  }

  private byte[] renew(byte[] body) {
    org.apache.arrow.flight.RenewFlightEndpointRequest request;
    try {
      request = org.apache.arrow.flight.RenewFlightEndpointRequest.deserialize(java.nio.ByteBuffer.wrap(body));
    } catch (java.io.IOException | java.net.URISyntaxException | RuntimeException e) {
      throw new Errors.BadRequestException("Invalid RenewFlightEndpoint request: the body is not a serialized RenewFlightEndpointRequest");
    }
    FlightSummary s = store.renew(granted(Access.WRITE, FlightPath.fromUtf8(request.getFlightEndpoint().getTicket().getBytes(), "ticket")));
    java.nio.ByteBuffer out = endpoint(s).serialize();
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }

  /** Actions one node sends another (drop its own copies); unknown to clients. */
  static final String CLUSTER_DROP = "cluster-drop";
  static final String CLUSTER_DROP_PREFIX = "cluster-drop-prefix";

  private void peerOnly(String type) {
    if (cluster == null || !dev.hangar.server.cluster.Cluster.isPeerCall()) {
      throw new Errors.BadRequestException("Unknown action \"" + type + "\" (available: "
          + String.join(", ", ACTIONS.stream().map(ActionType::getType).toList()) + ")");
    }
  }

  /**
   * Deletes {@code path} here (with its durable copy) and, in a cluster, every other node's copy: a
   * flight with replicas, or one a node held before placement moved, is gone everywhere.
   */
  private Map<String, Object> delete(String path) {
    if (cluster == null || dev.hangar.server.cluster.Cluster.isPeerCall()) {
      return describe(store.delete(path), "deleted");
    }
    // Nodes that hold a copy without owning it (handing it over after a join) go first: once an owner
    // has seen the delete it refuses their copy, and they would drop it before being asked. A durable
    // flight is deleted here first, its durable object being the commit point.
    List<dev.hangar.server.cluster.Member> owners = cluster.owners(path);
    boolean ownedHere = owners.stream().anyMatch(cluster::isSelf);
    boolean durable = store.classOf(path).map(dev.hangar.storage.StorageClass::isDurable).orElse(false);
    List<dev.hangar.server.cluster.Member> order = new java.util.ArrayList<>();
    cluster.others().stream().filter(m -> !owners.contains(m)).forEach(order::add);
    cluster.others().stream().filter(owners::contains).forEach(order::add);
    Map<String, Object> found = null;
    if (durable || !ownedHere) {
      found = deleteHere(path);
    }
    for (dev.hangar.server.cluster.Member m : order) {
      Map<String, Object> dropped = peerJson(cluster.peers().action(m, CLUSTER_DROP, path.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      if (found == null && !dropped.isEmpty()) {
        found = dropped;
      }
    }
    if (!durable && ownedHere) {
      Map<String, Object> here = deleteHere(path);
      found = found == null ? here : found;
    }
    if (found == null) {
      throw new dev.hangar.storage.FlightNotFoundException("Flight \"%s\" not found", path);
    }
    return found;
  }

  /** This node's part of a cluster delete; null if it had no copy. */
  private Map<String, Object> deleteHere(String path) {
    try {
      return describe(store.delete(path), "deleted");
    } catch (dev.hangar.storage.FlightNotFoundException e) {
      return null;
    }
  }

  /** {@code delete-prefix} here and, in a cluster, on every other node; the count is of distinct paths. */
  private int deletePrefix(String prefix) {
    java.util.Set<String> deleted = new java.util.HashSet<>(store.deletePrefixPaths(prefix));
    if (cluster != null && !dev.hangar.server.cluster.Cluster.isPeerCall()) {
      for (dev.hangar.server.cluster.Member m : cluster.others()) {
        Object paths = peerJson(cluster.peers().action(m, CLUSTER_DROP_PREFIX, prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .get("paths");
        if (paths instanceof java.util.List<?> list) {
          list.forEach(p -> deleted.add(String.valueOf(p)));
        }
      }
    }
    return deleted.size();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> peerJson(byte[] body) {
    try {
      return body.length == 0 ? Map.of() : new com.fasterxml.jackson.databind.ObjectMapper().readValue(body, Map.class);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("a node answered with malformed JSON", e);
    }
  }

  private static String granted(Access access, String path) {
    Grants.require(access, path);
    return path;
  }

  private static Map<String, Object> describe(FlightSummary s, String what) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", s.path());
    if (what.equals("deleted")) {
      m.put("deleted", true);
    }
    m.put("storageClass", s.storageClass());
    m.put("durability", s.durability().key());
    m.put("tier", s.location());
    m.put("tiers", s.classTiers());
    m.put("durableCopy", s.durableCopy());
    m.put("rows", s.rows());
    m.put("batches", s.batches());
    m.put("bytes", s.bytes());
    m.put("bodyBytes", s.bodyBytes());
    m.put("committedAt", s.committedAt().toString());
    m.put("expiresAt", s.expiresAt().map(Object::toString).orElse(null));
    m.put("lastAccess", s.lastAccess().toString());
    m.put("readers", s.readers());
    m.put("version", s.version());
    m.put("schema", s.schema().toString());
    return m;
  }

  /**
   * {"storageTypes": {"memory": {...}}, "storageClasses": {"cache/": {...}}, "weakPending": n,
   * "limitScopes": [{...}]}: each entry is its stats record.
   */
  private static Map<String, Object> stats(StoreStats stats) {
    Map<String, Object> types = new LinkedHashMap<>();
    stats.storageTypes().forEach(t -> types.put(t.storage(), t));
    Map<String, Object> classes = new LinkedHashMap<>();
    stats.storageClasses().forEach(c -> classes.put(c.prefix(), c));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("storageTypes", types);
    out.put("storageClasses", classes);
    out.put("weakPending", stats.weakPending());
    out.put("limitScopes", stats.limitScopes());
    return out;
  }

  // ---- helpers --------------------------------------------------------------------------

  private static String utf8(byte[] bytes, String what) {
    return FlightPath.decodeUtf8(bytes).orElseThrow(() -> new Errors.BadRequestException("Invalid " + what + ": it is not UTF-8 text"));
  }

  private static byte[] json(Object value) {
    return Json.bytes(value);
  }
}
