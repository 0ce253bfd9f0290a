package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.ActionType;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.FlightCallHeaders;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.HeaderCallOption;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Every RPC against a real server over loopback, with its errors and the state they leave. */
class FlightRpcIT {

  /** Asserts {@code call} fails with {@code code} and exactly {@code message}. */
  static void assertFlightError(ThrowingCallable call, FlightStatusCode code, String message) {
    assertThatThrownBy(call)
        .isInstanceOf(FlightRuntimeException.class)
        .satisfies(e -> {
          assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(code);
          assertThat(((FlightRuntimeException) e).status().description()).isEqualTo(message);
        });
  }

  @Test
  void everyRpcRoundTrips() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB")) {
      TestData.Batches data = TestData.wide(3, 500, 1);
      JsonNode put = h.put("cache/tenant1/sales", data);
      assertThat(put.get("path").asText()).isEqualTo("cache/tenant1/sales");
      assertThat(put.get("rows").asLong()).isEqualTo(1500);
      assertThat(put.get("batches").asInt()).isEqualTo(3);
      assertThat(put.get("tier").asText()).isEqualTo("memory");
      assertThat(put.get("durability").asText()).isEqualTo("none");
      assertThat(put.get("bytes").asLong()).isGreaterThanOrEqualTo(put.get("bodyBytes").asLong()).isPositive();

      assertThat(h.get("cache/tenant1/sales")).isEqualTo(data.expected(h.allocator));

      FlightInfo info = h.client.getInfo(FlightDescriptor.path("cache", "tenant1", "sales"));
      assertThat(info.getRecords()).isEqualTo(1500);
      assertThat(info.getBytes()).isEqualTo(put.get("bodyBytes").asLong());
      assertThat(info.getSchema()).isEqualTo(TestData.WIDE);
      FlightEndpoint endpoint = info.getEndpoints().get(0);
      assertThat(endpoint.getExpirationTime()).isEmpty();
      try (var stream = h.client.getStream(endpoint.getTicket())) {
        assertThat(stream.next()).as("the ticket GetFlightInfo hands out works").isTrue();
      }
      assertThat(h.client.getSchema(FlightDescriptor.path("cache/tenant1/sales")).getSchema()).isEqualTo(TestData.WIDE);

      h.put("cache/tenant2/sales", TestData.narrow(1, 10, 2));
      h.put("other", TestData.narrow(1, 10, 3));
      assertThat(h.list("")).containsExactly("cache/tenant1/sales", "cache/tenant2/sales", "other");
      assertThat(h.list("cache/")).containsExactly("cache/tenant1/sales", "cache/tenant2/sales");
      assertThat(h.list("nothing")).isEmpty();

      JsonNode described = h.action("describe", "cache/tenant1/sales");
      assertThat(described.get("tier").asText()).isEqualTo("memory");
      assertThat(described.get("storageClass").asText()).isEmpty();
      assertThat(described.get("rows").asLong()).isEqualTo(1500);
      assertThat(described.get("bytes").asLong()).isEqualTo(put.get("bytes").asLong());

      JsonNode stats = h.action("stats", "");
      assertThat(stats.at("/storageTypes/memory/flights").asLong()).isEqualTo(3);
      assertThat(stats.at("/storageTypes/memory/capacity").asLong()).isEqualTo(64L << 20);
      assertThat(stats.at("/storageTypes/memory/bytes").asLong()).isEqualTo(h.memoryUsed());
      JsonNode cls = stats.get("storageClasses").get("");
      assertThat(cls.get("flights").asLong()).isEqualTo(3);
      assertThat(cls.get("puts").asLong()).isEqualTo(3);
      assertThat(cls.get("hits").asLong()).isEqualTo(2);

      assertThat(h.action("delete", "cache/tenant1/sales").get("deleted").asBoolean()).isTrue();
      assertThat(h.action("delete-prefix", "cache/").get("deleted").asInt()).isEqualTo(1);
      assertThat(h.list("")).containsExactly("other");
      assertFlightError(() -> h.get("cache/tenant1/sales"), FlightStatusCode.NOT_FOUND, "Flight \"cache/tenant1/sales\" not found");
      assertThat(h.action("stats", "").at("/storageClasses//misses").asLong()).isEqualTo(1);
    }
  }

  @Test
  void pathSegmentsAndSlashesNameTheSameFlight() throws Exception {
    try (Hangar h = Hangar.withMemory("16MiB")) {
      TestData.Batches data = TestData.narrow(1, 10, 5);
      try (VectorSchemaRoot root = VectorSchemaRoot.create(data.schema(), h.allocator)) {
        data.fill(root, 0);
        try (SyncPutListener results = new SyncPutListener()) {
          FlightClient.ClientStreamListener l = h.client.startPut(FlightDescriptor.path("a", "b", "c"), root, results);
          l.putNext();
          l.completed();
          l.getResult();
        }
      }
      assertThat(h.client.getInfo(FlightDescriptor.path("a/b/c")).getRecords()).isEqualTo(10);
      assertThat(h.client.getInfo(FlightDescriptor.path("a", "b/c")).getRecords()).isEqualTo(10);
      assertThat(h.list("")).containsExactly("a/b/c");
    }
  }

  @Test
  void overwriteReplacesTheFlight() throws Exception {
    try (Hangar h = Hangar.withMemory("16MiB")) {
      h.put("x", TestData.narrow(2, 100, 1));
      long before = h.memoryUsed();
      h.put("x", TestData.narrow(3, 100, 2));
      assertThat(h.get("x")).isEqualTo(TestData.narrow(3, 100, 2).expected(h.allocator));
      assertThat(h.list("")).containsExactly("x");
      assertThat(h.memoryUsed()).isGreaterThan(before);
      assertThat(h.action("stats", "").at("/storageTypes/memory/flights").asLong()).isEqualTo(1);
    }
  }

  @Test
  void invalidPathsAreRejectedWithTheRuleTheyBreak() throws Exception {
    try (Hangar h = Hangar.withMemory("16MiB")) {
      String[][] cases = {
        {"a//b", "Invalid flight path \"a//b\": segment 2 is empty (no leading, trailing or double slashes)"},
        {"/a", "Invalid flight path \"/a\": segment 1 is empty (no leading, trailing or double slashes)"},
        {"a/../b", "Invalid flight path \"a/../b\": segment 2 is \"..\", which is not allowed"},
        {"a/./b", "Invalid flight path \"a/./b\": segment 2 is \".\", which is not allowed"},
        {"a\\b", "Invalid flight path \"a\\b\": segment 1 contains a backslash (segments are separated by /)"},
        {"a/b\tc", "Invalid flight path \"a/b\\u0009c\": segment 2 contains control character U+0009"},
        {"a/" + "s".repeat(256), "Invalid flight path \"a/" + "s".repeat(62) + "…\": segment 2 is 256 bytes of UTF-8, more than the limit of 255"},
        {"a/".repeat(600) + "a", "Invalid flight path \"" + "a/".repeat(32) + "…\": it is 1201 bytes of UTF-8, more than the limit of 1024"},
      };
      for (String[] c : cases) {
        String path = c[0];
        assertFlightError(() -> h.put(path, TestData.narrow(1, 10, 1)), FlightStatusCode.INVALID_ARGUMENT, c[1]);
        assertFlightError(() -> h.get(path), FlightStatusCode.INVALID_ARGUMENT, c[1]);
        assertFlightError(() -> h.client.getInfo(FlightDescriptor.path(path)), FlightStatusCode.INVALID_ARGUMENT, c[1]);
        assertFlightError(() -> h.action("delete", path), FlightStatusCode.INVALID_ARGUMENT, c[1]);
      }
      assertThat(h.list("")).isEmpty();
      assertThat(h.memoryUsed()).isZero();
      assertThat(h.action("stats", "").at("/storageClasses//rejectedPuts").asLong()).isZero();
    }
  }

  @Test
  void unknownFlightIsNotFoundEverywhere() throws Exception {
    try (Hangar h = Hangar.withMemory("16MiB")) {
      String msg = "Flight \"no/such/flight\" not found";
      assertFlightError(() -> h.get("no/such/flight"), FlightStatusCode.NOT_FOUND, msg);
      assertFlightError(() -> h.client.getInfo(FlightDescriptor.path("no/such/flight")), FlightStatusCode.NOT_FOUND, msg);
      assertFlightError(() -> h.client.getSchema(FlightDescriptor.path("no/such/flight")), FlightStatusCode.NOT_FOUND, msg);
      assertFlightError(() -> h.action("describe", "no/such/flight"), FlightStatusCode.NOT_FOUND, msg);
      assertFlightError(() -> h.action("delete", "no/such/flight"), FlightStatusCode.NOT_FOUND, msg);
      java.nio.ByteBuffer renew = new org.apache.arrow.flight.RenewFlightEndpointRequest(
          FlightEndpoint.builder(new Ticket("no/such/flight".getBytes(StandardCharsets.UTF_8))).build()).serialize();
      byte[] body = new byte[renew.remaining()];
      renew.get(body);
      assertFlightError(() -> h.client.doAction(new org.apache.arrow.flight.Action("RenewFlightEndpoint", body)).next(),
          FlightStatusCode.NOT_FOUND, msg);
      assertThat(h.list("")).isEmpty();
    }
  }

  @Test
  void garbageTicketIsInvalid() throws Exception {
    try (Hangar h = Hangar.withMemory("16MiB")) {
      assertFlightError(
          () -> h.client.getStream(new Ticket(new byte[] {(byte) 0xc3, 0x28, (byte) 0xff})).next(),
          FlightStatusCode.INVALID_ARGUMENT,
          "Invalid ticket: it is not UTF-8 text (expected a flight path such as cache/tenant1/report)");
      assertFlightError(() -> h.client.getStream(new Ticket(new byte[0])).next(), FlightStatusCode.INVALID_ARGUMENT,
          "Invalid flight path \"\": it is empty (use e.g. cache/tenant1/report)");
    }
  }

  @Test
  void schemaChangeMidStreamIsRejectedAndLeavesNothing() throws Exception {
    // Both orders: the new schema arriving before the server read the first batch, and after it
    // (then the first root, orphaned by FlightStream, still holds that batch and must be freed).
    for (int pauseMillis : new int[] {0, 300}) {
      try (Hangar h = Hangar.withMemory("16MiB")) {
        h.put("x", TestData.narrow(1, 10, 1)); // an older flight at the path survives the failed put
        TestData.Batches first = TestData.narrow(2, 100, 9);
        TestData.Batches second = TestData.wide(1, 100, 9);
        try (VectorSchemaRoot a = VectorSchemaRoot.create(first.schema(), h.allocator);
            VectorSchemaRoot b = VectorSchemaRoot.create(second.schema(), h.allocator);
            SyncPutListener results = new SyncPutListener()) {
          FlightClient.ClientStreamListener l = h.client.startPut(FlightDescriptor.path("x"), a, results);
          first.fill(a, 0);
          l.putNext();
          Thread.sleep(pauseMillis);
          l.start(b); // a second schema message on the same stream
          second.fill(b, 0);
          l.putNext();
          l.completed();
          assertThatThrownBy(l::getResult)
              .isInstanceOf(FlightRuntimeException.class)
              .satisfies(e -> {
                assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
                assertThat(e.getMessage()).startsWith("Cannot store flight \"x\": the schema changed mid-stream at message 2 (a flight has one schema; it started with schema<v: int64>, then got schema<id: int64");
              });
        }
        assertThat(h.get("x")).isEqualTo(TestData.narrow(1, 10, 1).expected(h.allocator));
        assertThat(h.action("stats", "").at("/storageClasses//rejectedPuts").asLong()).isEqualTo(1);
      } // closing checks the server's working memory drained and nothing leaked
    }
  }

  @Test
  void cancelledUploadLeavesNothing() throws Exception {
    try (Hangar h = Hangar.withMemory("64MiB")) {
      TestData.Batches data = TestData.wide(20, 2000, 3);
      try (VectorSchemaRoot root = VectorSchemaRoot.create(data.schema(), h.allocator)) {
        FlightClient.ClientStreamListener l = h.client.startPut(FlightDescriptor.path("half"), root, new SyncPutListener());
        for (int i = 0; i < 10; i++) {
          data.fill(root, i);
          l.putNext();
        }
        l.error(new RuntimeException("client gave up"));
        assertThatThrownBy(l::getResult).isInstanceOf(FlightRuntimeException.class);
      }
      assertFlightError(() -> h.get("half"), FlightStatusCode.NOT_FOUND, "Flight \"half\" not found");
      assertThat(h.memoryUsed()).isZero();
      assertThat(h.list("")).isEmpty();
    }
  }

  @Test
  void uploadLargerThanMemoryIsResourceExhausted() throws Exception {
    try (Hangar h = Hangar.withMemory("2MiB")) {
      assertFlightError(() -> h.put("big", TestData.wide(10, 20_000, 1)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"big\": it outgrew the whole capacity of storage memory (2MiB) in storage class \"\"");
      assertThat(h.memoryUsed()).isZero();
      assertThat(h.list("")).isEmpty();
      h.put("small", TestData.narrow(1, 10, 1)); // the server is fine afterwards
      assertThat(h.list("")).containsExactly("small");
    }
  }

  @Test
  void fullMemoryWithEveryFlightBeingReadIsResourceExhausted() throws Exception {
    // "a" (~40MiB) is larger than what gRPC buffers for a slow reader (~10MiB), so while the client
    // holds the stream open after one batch, the server still holds a lease on "a".
    try (Hangar h = Hangar.withMemory("64MiB")) {
      h.put("a", TestData.narrow(50, 100_000, 1));
      try (var stream = h.client.getStream(new Ticket("a".getBytes(StandardCharsets.UTF_8)))) {
        assertThat(stream.next()).isTrue();
        assertThatThrownBy(() -> h.put("b", TestData.narrow(40, 100_000, 2)))
            .isInstanceOf(FlightRuntimeException.class)
            .satisfies(e -> {
              assertThat(((FlightRuntimeException) e).status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED);
              assertThat(e.getMessage()).matches("Cannot store flight \"b\": storage memory has no room for .* more \\(capacity 64MiB, in use .*, and every flight left in it is being read or written\\)");
            });
        int batches = 1;
        while (stream.next()) {
          assertThat(stream.getRoot().getRowCount()).isEqualTo(100_000);
          batches++;
        }
        assertThat(batches).as("the reader finished on the copy it started on").isEqualTo(50);
      }
      assertThat(h.list("")).containsExactly("a");
      h.put("b", TestData.narrow(40, 100_000, 2)); // once the read ends, "a" can be evicted
      assertThat(h.list("")).containsExactly("b");
      assertThat(h.action("stats", "").at("/storageTypes/memory/evictions").asLong()).isEqualTo(1);
    }
  }

  @Test
  void sizeHeader() throws Exception {
    try (Hangar h = Hangar.withMemory("4MiB")) {
      assertFlightError(() -> putWithSize(h, "x", "lots"), FlightStatusCode.INVALID_ARGUMENT,
          "Invalid header x-hangar-flight-size: \"lots\" is not a byte count (send the flight's expected size in bytes, e.g. 1048576)");
      assertFlightError(() -> putWithSize(h, "x", "-5"), FlightStatusCode.INVALID_ARGUMENT,
          "Invalid header x-hangar-flight-size: \"-5\" is not a byte count (send the flight's expected size in bytes, e.g. 1048576)");
      assertFlightError(() -> putWithSize(h, "x", Long.toString(5L << 20)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"x\" of 5MiB: it is larger than every tier of storage class \"\" admits (memory: no maxFlightSize, capacity 4MiB)");
      assertThat(h.list("")).isEmpty();
      putWithSize(h, "x", "8000");
      assertThat(h.list("")).containsExactly("x");
    }
  }

  private static void putWithSize(Hangar h, String path, String size) {
    CallHeaders headers = new FlightCallHeaders();
    headers.insert("x-hangar-flight-size", size);
    TestData.Batches data = TestData.narrow(1, 1000, 1);
    try (VectorSchemaRoot root = VectorSchemaRoot.create(data.schema(), h.allocator);
        SyncPutListener results = new SyncPutListener()) {
      FlightClient.ClientStreamListener l =
          h.client.startPut(FlightDescriptor.path(path), root, results, new HeaderCallOption(headers));
      data.fill(root, 0);
      l.putNext();
      l.completed();
      l.getResult();
    }
  }

  @Test
  void commandDescriptorsAreNotFlights() throws Exception {
    try (Hangar h = Hangar.withMemory("4MiB")) {
      FlightDescriptor cmd = FlightDescriptor.command("SELECT 1".getBytes(StandardCharsets.UTF_8));
      assertFlightError(() -> h.client.getInfo(cmd), FlightStatusCode.INVALID_ARGUMENT,
          "GetFlightInfo: the command descriptor holds no Flight SQL command (send one of Flight SQL's commands,"
              + " e.g. CommandStatementQuery through a Flight SQL client; to name a flight, use a path descriptor)");
      assertFlightError(() -> h.client.getSchema(cmd), FlightStatusCode.INVALID_ARGUMENT,
          "GetSchema: the command descriptor holds no Flight SQL command (send one of Flight SQL's commands,"
              + " e.g. CommandStatementQuery through a Flight SQL client; to name a flight, use a path descriptor)");
      try (VectorSchemaRoot root = VectorSchemaRoot.create(TestData.NARROW, h.allocator)) {
        FlightClient.ClientStreamListener l = h.client.startPut(cmd, root, new SyncPutListener());
        l.completed();
        assertThatThrownBy(l::getResult).isInstanceOf(FlightRuntimeException.class)
            .hasMessage("DoPut: the command descriptor holds no Flight SQL command (send one of Flight SQL's commands,"
                + " e.g. CommandStatementQuery through a Flight SQL client; to name a flight, use a path descriptor)");
      }
    }
  }

  @Test
  void actions() throws Exception {
    try (Hangar h = Hangar.withMemory("4MiB")) {
      List<String> names = new ArrayList<>();
      for (ActionType t : h.client.listActions()) {
        names.add(t.getType());
        assertThat(t.getDescription()).isNotBlank();
      }
      assertThat(names).containsExactly("delete", "delete-prefix", "stats", "describe", "RenewFlightEndpoint", "query-to-flight",
          "CreatePreparedStatement", "ClosePreparedStatement", "CancelQuery", "CancelFlightInfo");
      assertFlightError(() -> h.action("compact", ""), FlightStatusCode.INVALID_ARGUMENT,
          "Unknown action \"compact\" (available: delete, delete-prefix, stats, describe, RenewFlightEndpoint, query-to-flight)");
      h.put("keep", TestData.narrow(1, 10, 1));
      assertFlightError(() -> h.action("delete-prefix", ""), FlightStatusCode.INVALID_ARGUMENT,
          "Cannot delete-prefix with an empty prefix: it would delete every flight (name a prefix, e.g. cache/tenant1/)");
      assertThat(h.action("delete-prefix", "nothing/").get("deleted").asInt()).isZero();
      assertThat(h.list("")).containsExactly("keep");
    }
  }

  @Test
  void pathsWithoutAStorageClass() throws Exception {
    try (Hangar h = Hangar.start("""
        storage: {memory: {capacity: 4MiB}}
        storageClasses: [{prefix: cache/, tiers: [{storage: memory}]}]
        """)) {
      assertFlightError(() -> h.put("other/x", TestData.narrow(1, 10, 1)), FlightStatusCode.INVALID_ARGUMENT,
          "Cannot store flight \"other/x\": no storage class prefix matches it (add a class for it, or one with prefix \"\")");
      assertFlightError(() -> h.get("other/x"), FlightStatusCode.NOT_FOUND, "Flight \"other/x\" not found");
      h.put("cache/x", TestData.narrow(1, 10, 1));
      assertThat(h.list("")).containsExactly("cache/x");
    }
  }

  @Test
  void ttlShowsAsEndpointExpiration() throws Exception {
    try (Hangar h = Hangar.start("""
        storage: {memory: {capacity: 4MiB}}
        storageClasses: [{prefix: "", ttl: 2h, tiers: [{storage: memory}]}]
        """)) {
      JsonNode put = h.put("t", TestData.narrow(1, 10, 1));
      java.time.Instant expected = java.time.Instant.parse(put.get("committedAt").asText()).plus(java.time.Duration.ofHours(2));
      assertThat(put.get("expiresAt").asText()).isEqualTo(expected.toString());
      // Arrow Java 18.3's FlightEndpoint decodes expiration_time as Instant.ofEpochSecond(seconds,
      // Timestamps.toNanos(ts)): the seconds count twice. Undo that to see what the server sent;
      // pyarrow reads the field right (the interop tests check it there too).
      java.time.Instant decoded = h.client.getInfo(FlightDescriptor.path("t")).getEndpoints().get(0).getExpirationTime().orElseThrow();
      assertThat(java.time.Instant.ofEpochSecond(decoded.getEpochSecond() / 2, decoded.getNano())).isEqualTo(expected);

      // RenewFlightEndpoint: the new expiry is the class TTL from now, later than the first.
      Thread.sleep(20);
      org.apache.arrow.flight.RenewFlightEndpointRequest request =
          new org.apache.arrow.flight.RenewFlightEndpointRequest(h.client.getInfo(FlightDescriptor.path("t")).getEndpoints().get(0));
      java.nio.ByteBuffer body = request.serialize();
      byte[] bytes = new byte[body.remaining()];
      body.get(bytes);
      var results = h.client.doAction(new org.apache.arrow.flight.Action("RenewFlightEndpoint", bytes));
      FlightEndpoint renewed = FlightEndpoint.deserialize(java.nio.ByteBuffer.wrap(results.next().getBody()));
      assertThat(results.hasNext()).isFalse();
      java.time.Instant renewedAt = renewed.getExpirationTime().orElseThrow();
      java.time.Instant wireRenewed = java.time.Instant.ofEpochSecond(renewedAt.getEpochSecond() / 2, renewedAt.getNano());
      assertThat(wireRenewed).isAfter(expected);
      assertThat(h.action("describe", "t").get("expiresAt").asText()).isEqualTo(wireRenewed.toString());
      assertFlightError(() -> h.client.doAction(new org.apache.arrow.flight.Action("RenewFlightEndpoint", new byte[] {1, 2, 3})).next(),
          FlightStatusCode.INVALID_ARGUMENT, "Invalid RenewFlightEndpoint request: the body is not a serialized RenewFlightEndpointRequest");
    }
  }
}
