package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.server.security.Secrets;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Five tenants and an intruder run random operations on one node, through every RPC and SQL:
 * puts and overwrites, reads, infos, schemas, listings, deletes, prefix deletes, describe, stats,
 * renewals, SQL queries and copies through query-to-flight. A model of the grants and of every
 * flight's content predicts each answer: what is allowed succeeds and returns the model's content,
 * what is not is UNAUTHORIZED and changes nothing. No principal may read, list, change or learn the
 * name of a flight outside its grants: every answer and every error message is checked for names
 * it must not contain. {@code -Dhangar.isolation.seed=N} replays a run, {@code -Dhangar.isolation.steps=N} sets its length.
 */
class TenantIsolationIT {
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("owner", ArrowType.Utf8.INSTANCE),
      Field.nullable("version", new ArrowType.Int(64, true))));
  private static final int TENANTS = 5;

  /** What a flight holds: who wrote it where, and which write of theirs. */
  record Content(String owner, long version) {}

  /** A principal: its token and what the model says it may read and write. */
  record Who(String name, String token, List<String> reads, List<String> writes, boolean admin) {
    boolean mayRead(String path) {
      return admin || reads.stream().anyMatch(path::startsWith) || mayWrite(path);
    }

    boolean mayWrite(String path) {
      return admin || writes.stream().anyMatch(path::startsWith);
    }
  }

  private final Map<String, Content> model = new TreeMap<>();
  private final Map<String, Integer> exercised = new TreeMap<>();
  private long versions;

  @Test
  void noPrincipalReadsWritesListsOrLearnsAnotherTenantsFlights() throws Exception {
    long seed = Long.parseLong(System.getProperty("hangar.isolation.seed", "11"));
    int steps = Integer.parseInt(System.getProperty("hangar.isolation.steps", "1500"));
    System.out.println("TenantIsolationIT seed " + seed + " (-Dhangar.isolation.seed=" + seed + " replays it), " + steps + " steps");
    Random random = new Random(seed);
    List<Who> principals = new ArrayList<>();
    StringBuilder yaml = new StringBuilder("""
        storage: {memory: {capacity: 128MiB}}
        storageClasses: [{prefix: "", ttl: 1h, tiers: [{storage: memory}]}]
        auth:
          principals:
        """);
    for (int i = 0; i < TENANTS; i++) {
      List<String> reads = i == 4 ? List.of("shared/", "cache/t0/") : List.of("shared/"); // t4 may also read t0's cache
      principals.add(new Who("t" + i, Secrets.newToken(), reads, List.of("cache/t" + i + "/"), false));
    }
    principals.add(new Who("intruder", Secrets.newToken(), List.of(), List.of("intruder/"), false));
    Who admin = new Who("admin", Secrets.newToken(), List.of(), List.of(), true);
    for (Who w : principals) {
      yaml.append("    - {name: ").append(w.name()).append(", tokens: [\"").append(Secrets.tokenHash(w.token())).append("\"], grants: [");
      List<String> grants = new ArrayList<>();
      w.reads().forEach(r -> grants.add("{prefix: \"" + r + "\", access: read}"));
      w.writes().forEach(r -> grants.add("{prefix: \"" + r + "\", access: write}"));
      yaml.append(String.join(", ", grants)).append("]}\n");
    }
    yaml.append("    - {name: admin, tokens: [\"").append(Secrets.tokenHash(admin.token())).append("\"], grants: [{prefix: \"\", access: admin}]}\n");
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < TENANTS; i++) {
      for (int f = 0; f < 4; f++) {
        paths.add("cache/t" + i + "/f" + f);
      }
    }
    paths.addAll(List.of("shared/f0", "shared/f1", "intruder/f0", "intruder/f1"));
    List<String> prefixes = List.of("", "cache/", "cache/t0/", "cache/t1/", "cache/t4/", "cache/t", "shared/", "intruder/", "cache/t2/f");

    try (Hangar h = Hangar.start(yaml.toString())) {
      FlightSqlClient sql = new FlightSqlClient(h.client);
      for (String p : paths) { // everyone's flights exist before the run starts
        put(h, admin, p);
      }
      principals.add(admin);
      for (int step = 0; step < steps; step++) {
        Who p = principals.get(random.nextInt(principals.size() - (random.nextInt(10) == 0 ? 0 : 1))); // admin rarely
        // half the time a path of its own (so that allowed operations are common), else any path
        List<String> own = paths.stream().filter(p::mayRead).toList();
        String path = random.nextBoolean() && !own.isEmpty() ? own.get(random.nextInt(own.size())) : paths.get(random.nextInt(paths.size()));
        String prefix = prefixes.get(random.nextInt(prefixes.size()));
        int op = random.nextInt(13);
        String context = "step " + step + " (seed " + seed + "): " + p.name();
        switch (op) {
          case 0, 1 -> expect(context + " put " + path, p, Set.of(path), p.mayWrite(path), "write", path, () -> put(h, p, path));
          case 2 -> expect(context + " get " + path, p, Set.of(path), p.mayRead(path), "read", path, () -> {
            assertThat(get(h, p, path)).as(context).isEqualTo(model.get(path));
            return null;
          });
          case 3 -> expect(context + " info " + path, p, Set.of(path), p.mayRead(path), "read", path, () -> {
            FlightInfo info = h.client.getInfo(FlightDescriptor.path(path), bearer(p));
            assertThat(info.getRecords()).isEqualTo(1);
            return null;
          });
          case 4 -> expect(context + " schema " + path, p, Set.of(path), p.mayRead(path), "read", path, () -> {
            assertThat(h.client.getSchema(FlightDescriptor.path(path), bearer(p)).getSchema()).isEqualTo(SCHEMA);
            return null;
          });
          case 5 -> {
            List<String> listed = new ArrayList<>();
            h.client.listFlights(new Criteria(prefix.getBytes(StandardCharsets.UTF_8)), bearer(p))
                .forEach(i -> listed.add(String.join("/", i.getDescriptor().getPath())));
            List<String> expected = model.keySet().stream().filter(x -> x.startsWith(prefix) && p.mayRead(x)).toList();
            assertThat(listed).as(context + " list " + prefix).isEqualTo(expected);
            exercised.merge("list", 1, Integer::sum);
          }
          case 6 -> expect(context + " delete " + path, p, Set.of(path), p.mayWrite(path), "write", path, () -> {
            action(h, p, "delete", path);
            model.remove(path);
            return null;
          });
          case 7 -> {
            if (prefix.isEmpty()) {
              continue;
            }
            boolean allowed = p.mayWrite(prefix);
            expectNamed(context + " delete-prefix " + prefix, p, Set.of(prefix), allowed, "Principal \"" + p.name() + "\" may not delete under \""
                + prefix + "\": that prefix is wider than its write grants (name a prefix inside one of them)", () -> {
                  long expected = model.keySet().stream().filter(x -> x.startsWith(prefix)).count();
                  assertThat(action(h, p, "delete-prefix", prefix).get("deleted").asLong()).as(context).isEqualTo(expected);
                  model.keySet().removeIf(x -> x.startsWith(prefix));
                  return null;
                });
          }
          case 8 -> expect(context + " describe " + path, p, Set.of(path), p.mayRead(path), "read", path, () -> {
            assertThat(action(h, p, "describe", path).get("rows").asLong()).isEqualTo(1);
            return null;
          });
          case 9 -> expectNamed(context + " stats", p, Set.of(), p.admin(), "Principal \"" + p.name()
              + "\" may not read the node's stats: it needs an admin grant on every path ({prefix: \"\", access: admin})", () -> {
                assertThat(action(h, p, "stats", "").at("/storageTypes/memory/flights").asLong()).isEqualTo(model.size());
                return null;
              });
          case 10 -> expect(context + " sql " + path, p, Set.of(path), p.mayRead(path), "read", path, () -> {
            assertThat(query(sql, p, "SELECT owner, version FROM \"" + path + "\"")).as(context).isEqualTo(model.get(path));
            return null;
          }, "Cannot run the query: there is no flight \"" + path + "\"");
          case 11 -> {
            String target = paths.get(random.nextInt(paths.size()));
            String body = "{\"sql\": \"SELECT * FROM \\\"" + path + "\\\"\", \"path\": \"" + target + "\"}";
            String name = context + " copy " + path + " -> " + target;
            Op copy = () -> {
              action(h, p, "query-to-flight", body);
              model.put(target, model.get(path));
              return null;
            };
            if (!p.mayWrite(target)) { // the target is checked first
              expectRefused(name, p, new java.util.HashSet<>(List.of(path, target)), "write", target, copy);
            } else {
              expect(name, p, new java.util.HashSet<>(List.of(path, target)), p.mayRead(path), "read", path, copy,
                  "Cannot run the query: there is no flight \"" + path + "\"");
            }
          }
          default -> expect(context + " renew " + path, p, Set.of(path), p.mayWrite(path), "write", path, () -> {
            h.client.doAction(new Action("RenewFlightEndpoint", renewBody(path)), bearer(p)).next();
            return null;
          });
        }
      }
      // the node holds exactly what the model says, content included
      for (Map.Entry<String, Content> e : model.entrySet()) {
        assertThat(get(h, admin, e.getKey())).as("final content of " + e.getKey()).isEqualTo(e.getValue());
      }
      List<String> all = new ArrayList<>();
      h.client.listFlights(new Criteria(new byte[0]), bearer(admin)).forEach(i -> all.add(String.join("/", i.getDescriptor().getPath())));
      assertThat(all).isEqualTo(new ArrayList<>(model.keySet()));
      System.out.println("TenantIsolationIT exercised: " + exercised);
      assertThat(exercised.keySet()).as("every kind of answer came up").contains("allowed", "refused", "not-found", "list");
      assertThat(exercised.get("refused")).isGreaterThan(steps / 10);
    }
  }

  interface Op {
    Object run() throws Exception;
  }

  private void expect(String what, Who p, Set<String> named, boolean allowed, String access, String path, Op op) throws Exception {
    expect(what, p, named, allowed, access, path, op, "Flight \"" + path + "\" not found");
  }

  /**
   * Runs {@code op} as {@code p}: if allowed, it must succeed when the model has the flight and be
   * NOT_FOUND with {@code missing} when it has not; if not allowed, UNAUTHORIZED naming the path.
   */
  private void expect(String what, Who p, Set<String> named, boolean allowed, String access, String path, Op op, String missing)
      throws Exception {
    if (!allowed) {
      expectRefused(what, p, named, access, path, op);
      return;
    }
    boolean needsFlight = !what.contains(" put "); // everything but a put needs the flight (a copy, its source)
    boolean had = model.containsKey(path);
    try {
      op.run();
      assertThat(needsFlight && !had).as(what + ": succeeded on a flight the model does not have").isFalse();
      exercised.merge("allowed", 1, Integer::sum);
    } catch (FlightRuntimeException e) {
      assertThat(needsFlight && !had).as(what + ": " + e.getMessage()).isTrue();
      assertThat(e.status().code()).as(what).isEqualTo(org.apache.arrow.flight.FlightStatusCode.NOT_FOUND);
      assertThat(e.status().description()).as(what).startsWith(missing);
      assertNoLeak(what, p, named, e.status().description());
      exercised.merge("not-found", 1, Integer::sum);
    }
  }

  private void expectRefused(String what, Who p, Set<String> named, String access, String path, Op op) throws Exception {
    Map<String, Content> before = new LinkedHashMap<>(model);
    String verb = access.equals("read") ? "read" : "write";
    expectNamed(what, p, named, false, "Principal \"" + p.name() + "\" may not " + verb + " \"" + path + "\": no " + access
        + " grant covers that path", op);
    assertThat(model).isEqualTo(before);
  }

  private void expectNamed(String what, Who p, Set<String> named, boolean allowed, String refusal, Op op) throws Exception {
    if (allowed) {
      op.run();
      exercised.merge("allowed", 1, Integer::sum);
      return;
    }
    try {
      Object r = op.run();
      throw new AssertionError(what + ": should have been refused, got " + r);
    } catch (FlightRuntimeException e) {
      assertThat(e.status().code()).as(what + ": " + e.getMessage()).isEqualTo(org.apache.arrow.flight.FlightStatusCode.UNAUTHORIZED);
      assertThat(e.status().description()).as(what).isEqualTo(refusal);
      assertNoLeak(what, p, named, e.status().description());
      exercised.merge("refused", 1, Integer::sum);
    }
  }

  /** {@code message} names no flight {@code p} may not read, except those its request named itself. */
  private void assertNoLeak(String what, Who p, Set<String> named, String message) {
    for (String other : model.keySet()) {
      if (!p.mayRead(other) && !named.contains(other)) {
        assertThat(message).as(what + ": leaks the name " + other).doesNotContain("\"" + other + "\"");
      }
    }
  }

  // ---- calls -------------------------------------------------------------------------

  private static CallOption bearer(Who p) {
    return new CredentialCallOption(new BearerCredentialWriter(p.token()));
  }

  private Object put(Hangar h, Who p, String path) throws Exception {
    Content c = new Content(p.name() + ":" + path, ++versions);
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, h.allocator)) {
      ((VarCharVector) root.getVector(0)).setSafe(0, c.owner().getBytes(StandardCharsets.UTF_8));
      ((BigIntVector) root.getVector(1)).setSafe(0, c.version());
      root.setRowCount(1);
      SyncPutListener results = new SyncPutListener();
      FlightClient.ClientStreamListener l = h.client.startPut(FlightDescriptor.path(path), root, results, bearer(p));
      l.putNext();
      l.completed();
      l.getResult();
      results.read().close();
    }
    model.put(path, c);
    return null;
  }

  private Content get(Hangar h, Who p, String path) throws Exception {
    try (FlightStream s = h.client.getStream(new Ticket(path.getBytes(StandardCharsets.UTF_8)), bearer(p))) {
      return only(s);
    }
  }

  private Content query(FlightSqlClient sql, Who p, String query) throws Exception {
    FlightInfo info = sql.execute(query, bearer(p));
    try (FlightStream s = sql.getStream(info.getEndpoints().get(0).getTicket(), bearer(p))) {
      return only(s);
    }
  }

  private static Content only(FlightStream s) {
    Content c = null;
    int rows = 0;
    while (s.next()) {
      VectorSchemaRoot r = s.getRoot();
      for (int i = 0; i < r.getRowCount(); i++) {
        c = new Content(new String(((VarCharVector) r.getVector(0)).get(i), StandardCharsets.UTF_8), ((BigIntVector) r.getVector(1)).get(i));
        rows++;
      }
    }
    assertThat(rows).isEqualTo(1);
    return c;
  }

  private static JsonNode action(Hangar h, Who p, String type, String body) throws Exception {
    Iterator<Result> r = h.client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)), bearer(p));
    return Hangar.JSON.readTree(r.next().getBody());
  }

  private static byte[] renewBody(String path) {
    return org.apache.arrow.flight.impl.Flight.RenewFlightEndpointRequest.newBuilder().setEndpoint(
        org.apache.arrow.flight.impl.Flight.FlightEndpoint.newBuilder().setTicket(
            org.apache.arrow.flight.impl.Flight.Ticket.newBuilder().setTicket(com.google.protobuf.ByteString.copyFromUtf8(path)))).build().toByteArray();
  }
}
