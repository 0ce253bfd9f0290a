package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.hangar.server.security.Secrets;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.sql.impl.FlightSql;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * Hostile requests against every RPC, action, header and SQL entry point of a node with auth, sent
 * as raw bytes over gRPC so that nothing on the client side cleans them up. Each case names the
 * status code and the exact message it must get; after each, the node must hold exactly the
 * flights it held before (paths and rows), the same bytes, no running call, no working memory and
 * no running query; at the end, no extra thread. No answer may carry a Java class name, exception
 * text or a stack frame, and none may be INTERNAL or UNKNOWN.
 */
class HostileInputIT {
  private static final Pattern INTERNALS = Pattern.compile(
      "\\b(?:java|javax|jdk|sun|com|org|io|net)\\.[a-z]\\w*\\.[\\w.$]*[A-Z]\\w*|\\b[A-Z]\\w*(?:Exception|Error)\\b|\\bat [\\w.$]+\\(");
  static final String ADMIN = Secrets.newToken();
  static final String TENANT = Secrets.newToken();
  static final String INTRUDER = Secrets.newToken();
  static final String SCHEMES = "send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>'";

  private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return RawGrpc.method(name, type);
  }

  private static final MethodDescriptor<byte[], byte[]> DO_GET = method("DoGet", MethodDescriptor.MethodType.SERVER_STREAMING);
  private static final MethodDescriptor<byte[], byte[]> DO_PUT = method("DoPut", MethodDescriptor.MethodType.BIDI_STREAMING);
  private static final MethodDescriptor<byte[], byte[]> INFO = method("GetFlightInfo", MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<byte[], byte[]> SCHEMA = method("GetSchema", MethodDescriptor.MethodType.UNARY);
  private static final MethodDescriptor<byte[], byte[]> LIST = method("ListFlights", MethodDescriptor.MethodType.SERVER_STREAMING);
  private static final MethodDescriptor<byte[], byte[]> ACTION = method("DoAction", MethodDescriptor.MethodType.SERVER_STREAMING);

  /**
   * One hostile request and the code it must get. The exact message each case must get is in
   * {@code hostile-messages.tsv} (name, tab, message, line breaks as \n), next to this class's resources: one reviewed
   * list of what a hostile client reads back.
   */
  record Case(String name, Supplier<Status> call, Status.Code code, String unused) {}

  private static Map<String, String> expectedMessages() throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    try (InputStream in = HostileInputIT.class.getResourceAsStream("hostile-messages.tsv")) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          String[] f = line.split("\t", 2);
          if (out.put(f[0], f[1].replace("\\n", "\n")) != null) { // a message's line breaks are written \n
            throw new IllegalStateException("hostile-messages.tsv names " + f[0] + " twice");
          }
        }
      }
    }
    return out;
  }

  private ManagedChannel channel;
  private byte[] schemaHeader;
  private byte[] batchHeader;
  private byte[] batchBody;

  @Test
  void everyHostileRequestGetsItsCodeAndMessageAndChangesNothing() throws Exception {
    try (Hangar h = Hangar.start("""
        server: {maxMessageSize: 1MiB}
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        auth:
          principals:
            - {name: admin, tokens: ["%s"], grants: [{prefix: "", access: admin}]}
            - {name: tenant1, tokens: ["%s"], grants: [{prefix: "cache/tenant1/", access: write}]}
            - {name: intruder, tokens: ["%s"], grants: [{prefix: "intruder/", access: write}]}
        """.formatted(Secrets.tokenHash(ADMIN), Secrets.tokenHash(TENANT), Secrets.tokenHash(INTRUDER)))) {
      channel = ManagedChannelBuilder.forAddress("127.0.0.1", h.server.port()).usePlaintext().maxInboundMessageSize(64 << 20).build();
      try {
        ipcMessages();
        assertThat(put(TENANT, "cache/tenant1/sales", schemaHeader, batchHeader, batchBody).getCode()).isEqualTo(Status.Code.OK);
        assertThat(put(INTRUDER, "intruder/own", schemaHeader, batchHeader, batchBody).getCode()).isEqualTo(Status.Code.OK);
        Map<String, Long> before = flights(h);
        long bytesBefore = h.server.store().stats().storageTypes().get(0).bytes();
        int threadsBefore = Thread.activeCount();
        List<String> wrong = new ArrayList<>();
        List<Case> cases = cases();
        Map<String, String> expected = expectedMessages();
        for (Case c : cases) {
          Status s = c.call().get();
          String got = s.getCode() + " " + s.getDescription();
          if (System.getProperty("hangar.hostile.print") != null) {
            System.out.println("CASE\t" + c.name() + "\t" + s.getCode() + "\t" + String.valueOf(s.getDescription()).replace("\n", "\\n"));
          }
          String message = expected.get(c.name());
          if (s.getCode() != c.code() || !String.valueOf(s.getDescription()).equals(message)) {
            wrong.add(c.name() + ": expected " + c.code() + " " + message + "\n    got " + got);
          }
          if (s.getDescription() != null && INTERNALS.matcher(s.getDescription()).find()
              || s.getCode() == Status.Code.INTERNAL || s.getCode() == Status.Code.UNKNOWN) {
            wrong.add(c.name() + ": leaks internals or fails internally: " + got);
          }
          h.awaitIdle();
          if (!flights(h).equals(before) || h.server.store().stats().storageTypes().get(0).bytes() != bytesBefore) {
            wrong.add(c.name() + ": changed the node's flights: " + flights(h));
          }
        }
        assertThat(cases).hasSizeGreaterThanOrEqualTo(100);
        assertThat(expected.keySet()).as("hostile-messages.tsv names every case once")
            .containsExactlyInAnyOrderElementsOf(cases.stream().map(Case::name).toList());
        assertThat(wrong).as("%d of %d cases", wrong.size(), cases.size()).isEmpty();
        assertThat(Thread.activeCount()).as("threads after the suite").isLessThanOrEqualTo(threadsBefore + 4);
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Every flight the admin sees, with its rows. */
  private Map<String, Long> flights(Hangar h) {
    Map<String, Long> out = new LinkedHashMap<>();
    h.server.store().list("").forEach(s -> out.put(s.path(), s.rows()));
    return out;
  }

  // ---- the cases ---------------------------------------------------------------------

  private List<Case> cases() {
    List<Case> cs = new ArrayList<>();
    Status.Code inv = Status.Code.INVALID_ARGUMENT;
    Status.Code denied = Status.Code.PERMISSION_DENIED;
    Status.Code unauth = Status.Code.UNAUTHENTICATED;
    Status.Code notFound = Status.Code.NOT_FOUND;

    // DoGet tickets
    cs.add(new Case("get: empty ticket", () -> get(TENANT, new byte[0]), inv, "?"));
    cs.add(new Case("get: ticket not UTF-8", () -> get(TENANT, new byte[] {(byte) 0xff, (byte) 0xfe}), inv, "?"));
    cs.add(new Case("get: 2,000-byte path", () -> get(TENANT, ("cache/tenant1/" + "x".repeat(2000)).getBytes()), inv, "?"));
    cs.add(new Case("get: 300-byte segment", () -> get(TENANT, ("cache/tenant1/" + "y".repeat(300)).getBytes()), inv, "?"));
    cs.add(new Case("get: empty segment", () -> get(TENANT, "cache//tenant1".getBytes()), inv, "?"));
    cs.add(new Case("get: leading slash", () -> get(TENANT, "/cache/tenant1/sales".getBytes()), inv, "?"));
    cs.add(new Case("get: dot-dot segment", () -> get(TENANT, "cache/tenant1/../tenant2/x".getBytes()), inv, "?"));
    cs.add(new Case("get: NUL in path", () -> get(TENANT, "cache/tenant1/a\0b".getBytes()), inv, "?"));
    cs.add(new Case("get: control character", () -> get(TENANT, "cache/tenant1/a\nb".getBytes()), inv, "?"));
    cs.add(new Case("get: unpaired surrogate", () -> get(TENANT, new byte[] {'a', (byte) 0xed, (byte) 0xa0, (byte) 0x80}), inv, "?"));
    cs.add(new Case("get: forged SQL ticket", () -> get(TENANT, new byte[] {0x0a, 0x7f, 1, 2, 3}), inv, "?"));
    cs.add(new Case("get: Any of a foreign type", () -> get(TENANT, any("type.googleapis.com/evil.Type", new byte[] {1})), inv, "?"));
    cs.add(new Case("get: SQL ticket, malformed value", () -> get(TENANT,
        any("type.googleapis.com/arrow.flight.protocol.sql.TicketStatementQuery", new byte[] {0x0a, 0x7f})), inv, "?"));
    cs.add(new Case("get: SQL ticket of another message", () -> get(TENANT,
        any("type.googleapis.com/arrow.flight.protocol.sql.CommandGetCatalogs", new byte[0])), Status.Code.OK, null));
    cs.add(new Case("get: unknown statement handle", () -> get(TENANT, Any.pack(FlightSql.TicketStatementQuery.newBuilder()
        .setStatementHandle(ByteString.copyFromUtf8("guess")).build()).toByteArray()), notFound, "?"));
    cs.add(new Case("get: missing flight", () -> get(TENANT, "cache/tenant1/none".getBytes()), notFound, "?"));
    cs.add(new Case("get: another tenant's flight", () -> get(INTRUDER, "cache/tenant1/sales".getBytes()), denied, "?"));
    cs.add(new Case("get: another tenant's missing flight", () -> get(INTRUDER, "cache/tenant1/none".getBytes()), denied, "?"));
    cs.add(new Case("get: ticket not a Ticket protobuf", () -> call(DO_GET, TENANT, new byte[] {(byte) 0xff, 0x01}), inv, "?"));

    // DoPut streams
    cs.add(new Case("put: no descriptor", () -> putFrames(TENANT, frame(null, schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: command descriptor, garbage", () -> putFrames(TENANT,
        frame(Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD).setCmd(ByteString.copyFrom(new byte[] {9, 9}))
            .build(), schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: command descriptor, SQL update", () -> putFrames(TENANT,
        frame(Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD)
            .setCmd(Any.pack(FlightSql.CommandStatementUpdate.newBuilder().setQuery("DELETE FROM x").build()).toByteString()).build(),
            schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: ingest, command cannot be decoded", () -> putFrames(TENANT, frame(command(
        any("type.googleapis.com/arrow.flight.protocol.sql.CommandStatementIngest", new byte[] {0x12, 0x7f})), schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: ingest, no table", () -> putFrames(TENANT, frame(ingest(FlightSql.CommandStatementIngest.newBuilder()
        .setTableDefinitionOptions(createOrFail())), schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: ingest, options left unspecified", () -> putFrames(TENANT, frame(ingest(FlightSql.CommandStatementIngest.newBuilder()
        .setTable("cache/tenant1/ingested")), schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: ingest, temporary table", () -> putFrames(TENANT, frame(ingest(FlightSql.CommandStatementIngest.newBuilder()
        .setTable("cache/tenant1/ingested").setTemporary(true).setTableDefinitionOptions(createOrFail())), schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: ingest into another tenant's path", () -> putFrames(INTRUDER, frame(ingest(FlightSql.CommandStatementIngest.newBuilder()
        .setTable("cache/tenant1/sales").setTableDefinitionOptions(createOrFail())), schemaHeader, null)), denied, "?"));
    cs.add(new Case("put: ingest over an existing flight", () -> putFrames(TENANT, frame(ingest(FlightSql.CommandStatementIngest.newBuilder()
        .setTable("cache/tenant1/sales").setTableDefinitionOptions(createOrFail())), schemaHeader, null)), Status.Code.ALREADY_EXISTS, "?"));
    cs.add(new Case("put: descriptor of unknown type", () -> putFrames(TENANT,
        frame(Flight.FlightDescriptor.newBuilder().setTypeValue(7).addPath("cache/tenant1/x").build(), schemaHeader, null)), inv, "?"));
    cs.add(new Case("put: path with empty segment", () -> put(TENANT, "cache//x", schemaHeader, batchHeader, batchBody), inv, "?"));
    cs.add(new Case("put: path too long", () -> put(TENANT, "cache/tenant1/" + "z".repeat(1100), schemaHeader, batchHeader, batchBody), inv, "?"));
    cs.add(new Case("put: path with NUL", () -> put(TENANT, "cache/tenant1/\0", schemaHeader, batchHeader, batchBody), inv, "?"));
    cs.add(new Case("put: another tenant's path", () -> put(INTRUDER, "cache/tenant1/sales", schemaHeader, batchHeader, batchBody), denied, "?"));
    cs.add(new Case("put: outside every grant", () -> put(TENANT, "elsewhere/x", schemaHeader, batchHeader, batchBody), denied, "?"));
    cs.add(new Case("put: first message has no header", () -> putFrames(TENANT, frame(path("cache/tenant1/x"), null, null)), inv, "?"));
    cs.add(new Case("put: starts with a record batch", () -> putFrames(TENANT, frame(path("cache/tenant1/x"), batchHeader, batchBody)), inv, "?"));
    cs.add(new Case("put: schema with a body", () -> putFrames(TENANT, frame(path("cache/tenant1/x"), schemaHeader, new byte[8])), inv, "?"));
    cs.add(new Case("put: header is not a flatbuffer", () -> putFrames(TENANT, frame(path("cache/tenant1/x"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, null)), inv, "?"));
    cs.add(new Case("put: header truncated", () -> putFrames(TENANT, frame(path("cache/tenant1/x"), java.util.Arrays.copyOf(schemaHeader, 20), null)), inv, "?"));
    cs.add(new Case("put: time32 in microseconds", () -> put(TENANT, "cache/tenant1/t", schemaOnly(new Schema(List.of(Field.nullable("t",
        new ArrowType.Time(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, 32))))), null, null), inv, "?"));
    cs.add(new Case("put: fixed-size binary too wide", () -> put(TENANT, "cache/tenant1/f", schemaOnly(new Schema(List.of(Field.nullable("f",
        new ArrowType.FixedSizeBinary(Integer.MAX_VALUE))))), null, null), inv, "?"));
    cs.add(new Case("put: map with nullable keys", () -> put(TENANT, "cache/tenant1/m", schemaHeader(new Schema(List.of(new Field("m",
        FieldType.nullable(new ArrowType.Map(false)), List.of(new Field("entries", FieldType.notNullable(ArrowType.Struct.INSTANCE), List.of(
            Field.nullable("key", ArrowType.Utf8.INSTANCE), Field.nullable("value", new ArrowType.Int(64, true))))))))), null, null), inv, "?"));
    cs.add(new Case("put: schema nested 100 deep", () -> put(TENANT, "cache/tenant1/deep", deepSchema(100), null, null), inv, "?"));
    cs.add(new Case("put: schema of 20,000 columns", () -> put(TENANT, "cache/tenant1/wide", wideSchema(20_000), null, null),
        Status.Code.RESOURCE_EXHAUSTED, "?")); // over server.maxMessageSize before its column count is read
    cs.add(new Case("put: batch body shorter than declared", () -> put(TENANT, "cache/tenant1/short", schemaHeader, batchHeader,
        java.util.Arrays.copyOf(batchBody, batchBody.length / 2)), inv, "?"));
    cs.add(new Case("put: batch header garbage", () -> put(TENANT, "cache/tenant1/g", schemaHeader, new byte[] {0, 0, 0, 0, 1, 2, 3, 4}, batchBody), inv, "?"));
    cs.add(new Case("put: second schema", () -> put(TENANT, "cache/tenant1/two", schemaHeader, schemaHeader, null), inv, "?"));
    cs.add(new Case("put: frame not FlightData", () -> putRaw(TENANT, List.of(new byte[] {(byte) 0xff, (byte) 0xff, 0x7f})), inv, "?"));
    cs.add(new Case("put: message over maxMessageSize", () -> put(TENANT, "cache/tenant1/big", schemaHeader, batchHeader, new byte[2 << 20]),
        Status.Code.RESOURCE_EXHAUSTED, "?"));
    cs.add(new Case("put: flight-size header not a number", () -> putWith(TENANT, Map.of("x-hangar-flight-size", "lots")), inv, "?"));
    cs.add(new Case("put: flight-size header negative", () -> putWith(TENANT, Map.of("x-hangar-flight-size", "-5")), inv, "?"));
    cs.add(new Case("put: flight-size beyond every tier", () -> putWith(TENANT, Map.of("x-hangar-flight-size", "999999999999999")),
        Status.Code.RESOURCE_EXHAUSTED, "?"));
    cs.add(new Case("put: idempotency key empty", () -> putWith(TENANT, Map.of("x-hangar-idempotency-key", "")), inv, "?"));
    cs.add(new Case("put: idempotency key too long", () -> putWith(TENANT, Map.of("x-hangar-idempotency-key", "k".repeat(300))), inv, "?"));
    cs.add(new Case("put: idempotency key of 257 characters", () -> putWith(TENANT, Map.of("x-hangar-idempotency-key", "k".repeat(257))), inv, "?"));
    cs.add(new Case("put: nothing sent", () -> putRaw(TENANT, List.of()), inv, "?"));

    // GetFlightInfo and GetSchema
    for (MethodDescriptor<byte[], byte[]> m : List.of(INFO, SCHEMA)) {
      String n = m.getBareMethodName();
      cs.add(new Case(n + ": not a descriptor", () -> call(m, TENANT, new byte[] {(byte) 0xff}), inv, "?"));
      cs.add(new Case(n + ": no path segments", () -> call(m, TENANT, path().toByteArray()), inv, "?"));
      // type PATH (field 1 = 1), one path segment (field 3) of the lone byte 0xc3: not UTF-8
      cs.add(new Case(n + ": segment not UTF-8", () -> call(m, TENANT, new byte[] {0x08, 0x01, 0x1a, 0x01, (byte) 0xc3}), inv, "?"));
      cs.add(new Case(n + ": descriptor of unknown type", () -> call(m, TENANT, Flight.FlightDescriptor.newBuilder().setTypeValue(9)
          .addPath("cache/tenant1/sales").build().toByteArray()), inv, "?"));
      cs.add(new Case(n + ": dot segment", () -> call(m, TENANT, path("cache", ".", "x").toByteArray()), inv, "?"));
      cs.add(new Case(n + ": missing flight", () -> call(m, TENANT, path("cache/tenant1/none").toByteArray()), notFound, "?"));
      cs.add(new Case(n + ": another tenant's flight", () -> call(m, INTRUDER, path("cache/tenant1/sales").toByteArray()), denied, "?"));
      cs.add(new Case(n + ": command, not an Any", () -> call(m, TENANT, cmd(new byte[] {0x0a, (byte) 0xff, 0x01})), inv, "?"));
      cs.add(new Case(n + ": command, foreign Any", () -> call(m, TENANT, cmd(any("type.googleapis.com/google.protobuf.Empty", new byte[0]))), inv, "?"));
      cs.add(new Case(n + ": command, malformed query", () -> call(m, TENANT,
          cmd(any("type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery", new byte[] {0x0a, 0x50}))), inv, "?"));
      cs.add(new Case(n + ": command, unknown SQL message", () -> call(m, TENANT,
          cmd(any("type.googleapis.com/arrow.flight.protocol.sql.CommandDropEverything", new byte[0]))), inv, "?"));
      cs.add(new Case(n + ": command, unknown prepared statement", () -> call(m, TENANT, cmd(Any.pack(FlightSql.CommandPreparedStatementQuery
          .newBuilder().setPreparedStatementHandle(ByteString.copyFromUtf8("nope")).build()).toByteArray())), notFound, "?"));
    }

    // ListFlights
    cs.add(new Case("list: criteria not UTF-8", () -> call(LIST, TENANT, Flight.Criteria.newBuilder()
        .setExpression(ByteString.copyFrom(new byte[] {(byte) 0xff})).build().toByteArray()), inv, "?"));
    cs.add(new Case("list: not a Criteria", () -> call(LIST, TENANT, new byte[] {(byte) 0xff, 0x7f}), inv, "?"));
    cs.add(new Case("list: another tenant's prefix lists nothing", () -> listCount(INTRUDER, "cache/"), Status.Code.OK, "0"));
    cs.add(new Case("list: everything lists only one's own", () -> listCount(INTRUDER, ""), Status.Code.OK, "1"));

    // DoAction
    cs.add(new Case("action: not an Action", () -> call(ACTION, TENANT, new byte[] {(byte) 0xff, 0x7f}), inv, "?"));
    cs.add(new Case("action: unknown type", () -> action(TENANT, "drop-everything", ""), inv, "?"));
    cs.add(new Case("action: empty type", () -> action(TENANT, "", ""), inv, "?"));
    cs.add(new Case("delete: body not UTF-8", () -> action(TENANT, "delete", new byte[] {(byte) 0xff}), inv, "?"));
    cs.add(new Case("delete: empty body", () -> action(TENANT, "delete", ""), inv, "?"));
    cs.add(new Case("delete: invalid path", () -> action(TENANT, "delete", "cache//x"), inv, "?"));
    cs.add(new Case("delete: missing flight", () -> action(TENANT, "delete", "cache/tenant1/none"), notFound, "?"));
    cs.add(new Case("delete: another tenant's flight", () -> action(INTRUDER, "delete", "cache/tenant1/sales"), denied, "?"));
    cs.add(new Case("delete-prefix: empty", () -> action(TENANT, "delete-prefix", ""), inv, "?"));
    cs.add(new Case("delete-prefix: not UTF-8", () -> action(TENANT, "delete-prefix", new byte[] {(byte) 0xfe}), inv, "?"));
    cs.add(new Case("delete-prefix: wider than grants", () -> action(TENANT, "delete-prefix", "cache/"), denied, "?"));
    cs.add(new Case("delete-prefix: another tenant's", () -> action(INTRUDER, "delete-prefix", "cache/tenant1/"), denied, "?"));
    cs.add(new Case("delete-prefix: a sibling prefix", () -> action(TENANT, "delete-prefix", "cache/tenant"), denied, "?"));
    cs.add(new Case("describe: invalid path", () -> action(TENANT, "describe", "/x"), inv, "?"));
    cs.add(new Case("describe: missing", () -> action(TENANT, "describe", "cache/tenant1/none"), notFound, "?"));
    cs.add(new Case("describe: another tenant's", () -> action(INTRUDER, "describe", "cache/tenant1/sales"), denied, "?"));
    cs.add(new Case("stats: not an admin", () -> action(TENANT, "stats", ""), denied, "?"));
    cs.add(new Case("query-to-flight: not JSON", () -> action(TENANT, "query-to-flight", "{sql"), inv, "?"));
    cs.add(new Case("query-to-flight: fields missing", () -> action(TENANT, "query-to-flight", "{}"), inv, "?"));
    cs.add(new Case("query-to-flight: sql not text", () -> action(TENANT, "query-to-flight", "{\"sql\": 1, \"path\": \"cache/tenant1/t\"}"), inv, "?"));
    cs.add(new Case("query-to-flight: invalid target", () -> action(TENANT, "query-to-flight", "{\"sql\": \"SELECT 1\", \"path\": \"a//b\"}"), inv, "?"));
    cs.add(new Case("query-to-flight: target not writable", () -> action(TENANT, "query-to-flight",
        "{\"sql\": \"SELECT 1\", \"path\": \"intruder/stolen\"}"), denied, "?"));
    cs.add(new Case("query-to-flight: source not readable", () -> action(INTRUDER, "query-to-flight",
        "{\"sql\": \"SELECT * FROM \\\"cache/tenant1/sales\\\"\", \"path\": \"intruder/copy\"}"), denied, "?"));
    cs.add(new Case("query-to-flight: bad SQL", () -> action(TENANT, "query-to-flight", "{\"sql\": \"SELEC\", \"path\": \"cache/tenant1/t\"}"), inv, "?"));
    cs.add(new Case("renew: garbage", () -> action(TENANT, "RenewFlightEndpoint", new byte[] {(byte) 0xff, 1}), inv, "?"));
    cs.add(new Case("renew: another tenant's", () -> action(INTRUDER, "RenewFlightEndpoint", renew("cache/tenant1/sales")), denied, "?"));
    cs.add(new Case("renew: missing", () -> action(TENANT, "RenewFlightEndpoint", renew("cache/tenant1/none")), notFound, "?"));
    cs.add(new Case("CreatePreparedStatement: garbage", () -> action(TENANT, "CreatePreparedStatement", new byte[] {(byte) 0xff}), inv, "?"));
    cs.add(new Case("CreatePreparedStatement: wrong message", () -> action(TENANT, "CreatePreparedStatement",
        Any.pack(FlightSql.ActionClosePreparedStatementRequest.getDefaultInstance()).toByteArray()), inv, "?"));
    cs.add(new Case("CreatePreparedStatement: another tenant's flight", () -> action(INTRUDER, "CreatePreparedStatement",
        Any.pack(FlightSql.ActionCreatePreparedStatementRequest.newBuilder().setQuery("SELECT * FROM \"cache/tenant1/sales\"").build()).toByteArray()),
        denied, "?"));
    cs.add(new Case("ClosePreparedStatement: garbage", () -> action(TENANT, "ClosePreparedStatement", new byte[] {0x0a, 0x02, 'z', 'z'}), inv, "?"));
    cs.add(new Case("CancelQuery: garbage", () -> action(TENANT, "CancelQuery", new byte[] {1, 2, 3}), inv, "?"));
    cs.add(new Case("CancelFlightInfo: garbage", () -> action(TENANT, "CancelFlightInfo", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}), inv, "?"));
    cs.add(new Case("BeginTransaction: unsupported", () -> action(TENANT, "BeginTransaction",
        Any.pack(FlightSql.ActionBeginTransactionRequest.getDefaultInstance()).toByteArray()), Status.Code.UNIMPLEMENTED, "?"));

    // SQL statements (GetFlightInfo of CommandStatementQuery)
    String[][] sql = {
        {"syntax error", "SELEC 1"},
        {"missing flight", "SELECT * FROM \"cache/tenant1/none\"", "denied"},
        {"another tenant's flight", "SELECT * FROM \"cache/tenant1/sales\"", "denied"},
        {"another tenant's flight in a join", "SELECT * FROM \"intruder/own\" a JOIN \"cache/tenant1/sales\" b ON true", "denied"},
        {"another tenant's flight in a subquery", "SELECT (SELECT count(*) FROM \"cache/tenant1/sales\")", "denied"},
        {"another tenant's flight, other case", "SELECT * FROM \"CACHE/TENANT1/SALES\"", "denied"},
        {"read_csv of a file", "SELECT * FROM read_csv('/etc/passwd')"},
        {"read_parquet of a file", "SELECT * FROM read_parquet('/tmp/x.parquet')"},
        {"read_text", "SELECT * FROM read_text('/etc/hostname')"},
        {"glob", "SELECT * FROM glob('/*')"},
        {"a file path as a table", "SELECT * FROM '/etc/passwd'", "denied"},
        {"COPY TO a file", "COPY (SELECT 1) TO '/tmp/hangar-copy.csv'"},
        {"ATTACH", "ATTACH '/tmp/other.duckdb' AS other"},
        {"INSTALL", "INSTALL httpfs"},
        {"LOAD", "LOAD httpfs"},
        {"SET", "SET enable_external_access = true"},
        {"PRAGMA", "PRAGMA enable_profiling"},
        {"CREATE TABLE", "CREATE TABLE t AS SELECT 1"},
        {"INSERT", "INSERT INTO t VALUES (1)"},
        {"two statements", "SELECT 1; SELECT 2"},
        {"getenv", "SELECT getenv('HOME')"},
        {"an internal stream name", "SELECT * FROM hangar_ref_0", "denied"},
        {"duckdb_settings", "SELECT * FROM duckdb_settings()"},
        {"current_setting", "SELECT current_setting('temp_directory')"},
        {"pragma table function", "SELECT * FROM pragma_database_size()"},
        {"a 1 MiB query", "SELECT " + "1+".repeat(350_000) + "1"},
    };
    for (String[] q : sql) {
      // a name the intruder may not read is refused as such, whether or not a flight has it; the rest are bad queries
      Status.Code code = q.length > 2 ? denied : inv;
      cs.add(new Case("sql: " + q[0], () -> call(INFO, INTRUDER, cmd(Any.pack(FlightSql.CommandStatementQuery.newBuilder().setQuery(q[1]).build())
          .toByteArray())), code, "?"));
    }

    // Headers: credentials (after five failures from one address, it is refused for a while)
    cs.add(new Case("auth: no credentials", () -> callWith(LIST, Map.of(), Flight.Criteria.getDefaultInstance().toByteArray()), unauth, "?"));
    cs.add(new Case("auth: read while unauthenticated", () -> callWith(DO_GET, Map.of(), ticket("cache/tenant1/sales")), unauth, "?"));
    cs.add(new Case("auth: unknown token", () -> callWith(LIST, Map.of("authorization", "Bearer nope"), criteria()), unauth, "?"));
    cs.add(new Case("auth: Digest scheme", () -> callWith(LIST, Map.of("authorization", "Digest x"), criteria()), unauth, "?"));
    cs.add(new Case("auth: Bearer without token", () -> callWith(LIST, Map.of("authorization", "Bearer"), criteria()), unauth, "?"));
    cs.add(new Case("auth: Basic not base64", () -> callWith(LIST, Map.of("authorization", "Basic %%%"), criteria()), unauth, "?"));
    cs.add(new Case("auth: Basic without a colon", () -> callWith(LIST, Map.of("authorization",
        "Basic " + Base64.getEncoder().encodeToString("admin".getBytes())), criteria()), unauth, "?"));
    cs.add(new Case("auth: throttled now, even with a good token", () -> callWith(LIST, Map.of("authorization", "Bearer " + ADMIN), criteria()),
        unauth, "?"));
    return cs;
  }

  // ---- requests ----------------------------------------------------------------------

  private Status get(String token, byte[] ticketBytes) {
    return call(DO_GET, token, Flight.Ticket.newBuilder().setTicket(ByteString.copyFrom(ticketBytes)).build().toByteArray());
  }

  private static byte[] ticket(String path) {
    return Flight.Ticket.newBuilder().setTicket(ByteString.copyFromUtf8(path)).build().toByteArray();
  }

  private static byte[] criteria() {
    return Flight.Criteria.getDefaultInstance().toByteArray();
  }

  private Status action(String token, String type, String body) {
    return action(token, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private Status action(String token, String type, byte[] body) {
    return call(ACTION, token, Flight.Action.newBuilder().setType(type).setBody(ByteString.copyFrom(body)).build().toByteArray());
  }

  private static byte[] renew(String path) {
    return Flight.RenewFlightEndpointRequest.newBuilder().setEndpoint(Flight.FlightEndpoint.newBuilder()
        .setTicket(Flight.Ticket.newBuilder().setTicket(ByteString.copyFromUtf8(path)))).build().toByteArray();
  }

  private Status listCount(String token, String prefix) {
    int[] n = {0};
    Status s = callCounting(LIST, Map.of("authorization", "Bearer " + token),
        Flight.Criteria.newBuilder().setExpression(ByteString.copyFromUtf8(prefix)).build().toByteArray(), n);
    return s.isOk() ? Status.OK.withDescription(String.valueOf(n[0])) : s;
  }

  private Status call(MethodDescriptor<byte[], byte[]> m, String token, byte[] request) {
    return callWith(m, Map.of("authorization", "Bearer " + token), request);
  }

  private Status callWith(MethodDescriptor<byte[], byte[]> m, Map<String, String> headers, byte[] request) {
    return callCounting(m, headers, request, new int[1]);
  }

  private Status callCounting(MethodDescriptor<byte[], byte[]> m, Map<String, String> headers, byte[] request, int[] count) {
    io.grpc.Channel ch = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(metadata(headers)));
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
    try {
      if (m.getType() == MethodDescriptor.MethodType.UNARY) {
        ClientCalls.blockingUnaryCall(ch, m, options, request);
      } else {
        Iterator<byte[]> it = ClientCalls.blockingServerStreamingCall(ch, m, options, request);
        while (it.hasNext()) {
          it.next();
          count[0]++;
        }
      }
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  private static Metadata metadata(Map<String, String> headers) {
    Metadata md = new Metadata();
    headers.forEach((k, v) -> md.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
    return md;
  }

  private Status put(String token, String path, byte[] schema, byte[] batch, byte[] body) {
    List<Flight.FlightData> frames = new ArrayList<>();
    frames.add(frame(path(path), schema, null));
    if (batch != null) {
      frames.add(frame(null, batch, body));
    }
    return putFrames(token, Map.of(), frames.toArray(Flight.FlightData[]::new));
  }

  private Status putWith(String token, Map<String, String> headers) {
    return putFrames(token, headers, frame(path("cache/tenant1/h"), schemaHeader, null), frame(null, batchHeader, batchBody));
  }

  private Status putFrames(String token, Flight.FlightData... frames) {
    return putFrames(token, Map.of(), frames);
  }

  private Status putFrames(String token, Map<String, String> headers, Flight.FlightData... frames) {
    List<byte[]> raw = new ArrayList<>();
    for (Flight.FlightData f : frames) {
      raw.add(f.toByteArray());
    }
    Map<String, String> all = new LinkedHashMap<>(headers);
    all.put("authorization", "Bearer " + token);
    return putRawWith(all, raw);
  }

  private Status putRaw(String token, List<byte[]> frames) {
    return putRawWith(Map.of("authorization", "Bearer " + token), frames);
  }

  private Status putRawWith(Map<String, String> headers, List<byte[]> frames) {
    io.grpc.Channel ch = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(metadata(headers)));
    CompletableFuture<Status> done = new CompletableFuture<>();
    StreamObserver<byte[]> requests = ClientCalls.asyncBidiStreamingCall(
        ch.newCall(DO_PUT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), RawGrpc.completing(done));
    try {
      frames.forEach(requests::onNext);
      requests.onCompleted();
    } catch (RuntimeException e) {
      // the server closed the call while we were sending
    }
    try {
      return done.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      return Status.fromThrowable(e);
    }
  }

  private static Flight.FlightData frame(Flight.FlightDescriptor descriptor, byte[] header, byte[] body) {
    Flight.FlightData.Builder b = Flight.FlightData.newBuilder();
    if (descriptor != null) {
      b.setFlightDescriptor(descriptor);
    }
    if (header != null) {
      b.setDataHeader(ByteString.copyFrom(header));
    }
    if (body != null) {
      b.setDataBody(ByteString.copyFrom(body));
    }
    return b.build();
  }

  private static Flight.FlightDescriptor path(String... segments) {
    Flight.FlightDescriptor.Builder b = Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH);
    for (String s : segments) {
      b.addPath(s);
    }
    return b.build();
  }

  private static byte[] cmd(byte[] command) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD).setCmd(ByteString.copyFrom(command))
        .build().toByteArray();
  }

  private static byte[] any(String typeUrl, byte[] value) {
    return Any.newBuilder().setTypeUrl(typeUrl).setValue(ByteString.copyFrom(value)).build().toByteArray();
  }

  // ---- IPC messages ------------------------------------------------------------------

  /** A real schema and record batch (one int64 column, 100 rows) as Arrow Java writes them. */
  private void ipcMessages() throws IOException {
    Schema schema = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
    List<byte[][]> msgs = stream(schema, 100);
    schemaHeader = msgs.get(0)[0];
    batchHeader = msgs.get(1)[0];
    batchBody = msgs.get(1)[1];
  }

  private static byte[] deepSchema(int depth) throws RuntimeException {
    Field f = Field.nullable("leaf", new ArrowType.Int(64, true));
    for (int i = 0; i < depth; i++) {
      f = new Field("s", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(f));
    }
    return schemaOnly(new Schema(List.of(f)));
  }

  private static byte[] wideSchema(int columns) {
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < columns; i++) {
      fields.add(Field.nullable("c" + i, new ArrowType.Int(8, true)));
    }
    return schemaOnly(new Schema(fields));
  }

  /** The schema message of {@code schema}, written without vectors (Arrow Java will not make some that a client may still send). */
  private static byte[] schemaHeader(Schema schema) {
    java.nio.ByteBuffer bb = org.apache.arrow.vector.ipc.message.MessageSerializer.serializeMetadata(schema);
    byte[] out = new byte[bb.remaining()];
    bb.duplicate().get(out);
    return out;
  }

  private static byte[] schemaOnly(Schema schema) {
    try {
      return stream(schema, -1).get(0)[0];
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The messages (header, body) of an IPC stream of {@code schema} with one batch of {@code rows} (none if negative). */
  private static List<byte[][]> stream(Schema schema, int rows) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (org.apache.arrow.memory.BufferAllocator a = new org.apache.arrow.memory.RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, a);
        ArrowStreamWriter w = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
      w.start();
      if (rows >= 0) {
        BigIntVector v = (BigIntVector) root.getVector(0);
        v.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
          v.set(i, i);
        }
        root.setRowCount(rows);
        w.writeBatch();
      }
      w.end();
    }
    List<byte[][]> msgs = new ArrayList<>();
    RawGrpc.readStream(out.toByteArray()).forEach(m -> msgs.add(new byte[][] {m.header(), m.body()}));
    return msgs;
  }

  private static Flight.FlightDescriptor command(byte[] cmd) {
    return Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.CMD).setCmd(ByteString.copyFrom(cmd)).build();
  }

  private static Flight.FlightDescriptor ingest(FlightSql.CommandStatementIngest.Builder command) {
    return command(Any.pack(command.build()).toByteArray());
  }

  private static FlightSql.CommandStatementIngest.TableDefinitionOptions createOrFail() {
    return FlightSql.CommandStatementIngest.TableDefinitionOptions.newBuilder()
        .setIfNotExist(FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE)
        .setIfExists(FlightSql.CommandStatementIngest.TableDefinitionOptions.TableExistsOption.TABLE_EXISTS_OPTION_FAIL).build();
  }
}
