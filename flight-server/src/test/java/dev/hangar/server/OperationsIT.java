package dev.hangar.server;

import static dev.hangar.server.FlightRpcIT.assertFlightError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.storage.StoreStats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operations port against a live node after a scripted workload: every metric checked against
 * what the workload did and what {@code stats} says; {@code /live} and {@code /ready}, readiness
 * through a durable-store outage and back, the gRPC health service, and shutdown turning readiness
 * off first.
 */
class OperationsIT {
  @TempDir
  Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void metricsMatchTheWorkloadAndHealthTellsTheTruth() throws Exception {
    Path durable = dir.resolve("durable");
    try (Hangar h = Hangar.start("""
        server: {http: {host: 127.0.0.1, port: 0}}
        storage: {memory: {capacity: 64MiB}}
        durableStores: [{id: local, type: filesystem, path: "%s"}]
        storageClasses:
          - {prefix: "", tiers: [{storage: memory}]}
          - {prefix: "d/", durability: strong, durableStore: local, tiers: [{storage: memory}]}
        limitPolicies:
          - {type: segmented, storageClasses: [""], segment: 1, flights: 2}
        """.formatted(durable))) {
      int port = h.server.httpPort();
      assertThat(get(port, "/live")).isEqualTo("200 live\n");
      assertThat(get(port, "/ready")).isEqualTo("200 ready\n");

      // the workload
      h.put("m/a", TestData.narrow(1, 100, 1));
      h.put("m/b", TestData.narrow(2, 100, 2));
      h.put("d/x", TestData.narrow(1, 50, 3));
      assertThatThrownBy(() -> h.put("m/c", TestData.narrow(1, 10, 4))).isInstanceOf(FlightRuntimeException.class); // quota: 2 flights
      assertThatThrownBy(() -> h.put("m//bad", TestData.narrow(1, 10, 5))).isInstanceOf(FlightRuntimeException.class); // bad path
      h.get("m/a");
      h.get("m/a");
      h.get("d/x");
      assertFlightError(() -> h.get("m/none"), FlightStatusCode.NOT_FOUND, "Flight \"m/none\" not found");
      h.action("delete", "m/b");
      FlightSqlClient sql = new FlightSqlClient(h.client);
      try (var stream = sql.getStream(sql.execute("SELECT count(*) FROM \"m/a\"").getEndpoints().get(0).getTicket())) {
        while (stream.next()) {
          assertThat(stream.getRoot().getRowCount()).isEqualTo(1);
        }
      }
      assertThatThrownBy(() -> sql.execute("SELEC 1")).isInstanceOf(FlightRuntimeException.class);
      h.awaitIdle();

      String scrape = get(port, "/metrics");
      assertThat(scrape).startsWith("200 ");
      if (System.getProperty("hangar.ops.print") != null) {
        System.out.println(scrape);
      }
      StoreStats stats = h.server.store().stats();
      StoreStats.TypeStats memory = stats.storageTypes().get(0);
      assertThat(value(scrape, "hangar_storage_flights", "storage", "memory")).isEqualTo(memory.flights()).isEqualTo(2);
      assertThat(value(scrape, "hangar_storage_used_bytes", "storage", "memory")).isEqualTo(memory.bytes()).isPositive();
      assertThat(value(scrape, "hangar_storage_capacity_bytes", "storage", "memory")).isEqualTo(64L << 20);
      assertThat(value(scrape, "hangar_storage_hits_total", "storage", "memory")).isEqualTo(memory.hits()).isEqualTo(4); // three reads and the SQL query
      assertThat(value(scrape, "hangar_class_puts_total", "class", "")).isEqualTo(2);
      assertThat(value(scrape, "hangar_class_puts_total", "class", "d/")).isEqualTo(1);
      assertThat(value(scrape, "hangar_class_misses_total", "class", "")).isEqualTo(1);
      assertThat(value(scrape, "hangar_class_deletions_total", "class", "")).isEqualTo(1);
      assertThat(value(scrape, "hangar_class_durable_writes_total", "class", "d/")).isEqualTo(1);
      assertThat(value(scrape, "hangar_class_flights", "class", "")).isEqualTo(1);
      assertThat(value(scrape, "hangar_put_rejections_total", "reason", "quota")).isEqualTo(1);
      assertThat(value(scrape, "hangar_put_rejections_total", "reason", "bad_input")).isEqualTo(1);
      assertThat(value(scrape, "hangar_put_rejections_total", "reason", "capacity")).isZero();
      assertThat(value(scrape, "hangar_quota_used", "scope", "m", "kind", "flights")).isEqualTo(1);
      assertThat(value(scrape, "hangar_quota_limit", "scope", "m", "kind", "flights")).isEqualTo(2);
      assertThat(value(scrape, "hangar_sql_queries_total")).isEqualTo(1); // a query that does not parse never starts, and fails
      assertThat(value(scrape, "hangar_sql_queries_failed_total")).isEqualTo(1);
      assertThat(value(scrape, "hangar_sql_queries_running")).isZero();
      assertThat(value(scrape, "hangar_durable_weak_pending")).isZero();
      assertThat(value(scrape, "hangar_durable_uploads_open")).isZero();
      assertThat(value(scrape, "hangar_arrow_allocated_bytes", "allocator", "memory_tier")).isEqualTo(h.server.memoryAllocatedBytes());
      assertThat(value(scrape, "hangar_arrow_allocated_bytes", "allocator", "working")).isZero();
      assertThat(value(scrape, "hangar_arrow_kept_free_bytes")).isEqualTo(h.server.keptFreeBytes());
      // RPC latency by method and status: three good puts and two refused, four reads
      assertThat(value(scrape, "grpc_server_processing_duration_seconds_count", "method", "DoPut", "statusCode", "OK")).isEqualTo(3);
      assertThat(value(scrape, "grpc_server_processing_duration_seconds_count", "method", "DoPut", "statusCode", "RESOURCE_EXHAUSTED"))
          .isEqualTo(1);
      assertThat(value(scrape, "grpc_server_processing_duration_seconds_count", "method", "DoGet", "statusCode", "NOT_FOUND")).isEqualTo(1);
      // its buckets start at 50 µs, below a small call's time, not at Micrometer's default 1 ms
      assertThat(value(scrape, "grpc_server_processing_duration_seconds_bucket", "method", "DoPut", "statusCode", "OK", "le", "5.0E-5"))
          .isBetween(0.0, 3.0);
      assertThat(value(scrape, "cache_gets_total", "cache", "sql_parse", "result", "miss")).isEqualTo(2);
      assertThat(value(scrape, "jvm_memory_used_bytes", "area", "heap", "id", "G1 Eden Space")).isPositive();
      assertThat(scrape).contains("# HELP hangar_storage_used_bytes bytes held in this storage type");

      // readiness follows the durable store
      Path away = dir.resolve("away");
      Files.move(durable, away); // the store's directory is gone, and a file stands in its place
      Files.writeString(durable, "not a directory");
      h.server.health().probe();
      assertThat(get(port, "/ready")).startsWith("503 degraded: durable store local does not answer: filesystem store \"local\"");
      assertThat(get(port, "/live")).isEqualTo("200 live\n");
      assertThat(grpcHealth(h)).isEqualTo("NOT_SERVING");
      Files.delete(durable);
      Files.move(away, durable);
      h.server.health().probe();
      assertThat(get(port, "/ready")).isEqualTo("200 ready\n");
      assertThat(grpcHealth(h)).isEqualTo("SERVING");

      // shutdown turns readiness off before the port stops answering calls
      h.server.health().stopping();
      assertThat(get(port, "/ready")).isEqualTo("503 shutting down\n");
      assertThat(grpcHealth(h)).isEqualTo("NOT_SERVING");
    }
  }

  private String get(int port, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  private static String grpcHealth(Hangar h) throws InterruptedException {
    io.grpc.ManagedChannel ch = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", h.server.port()).usePlaintext().build();
    try {
      return io.grpc.health.v1.HealthGrpc.newBlockingStub(ch).check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
          .getStatus().name();
    } finally {
      ch.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  /** The value of the one sample of {@code name} with the given labels (name, value pairs). */
  static double value(String scrape, String name, String... labels) {
    List<Double> found = new ArrayList<>();
    for (String line : scrape.split("\n")) {
      if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
        continue;
      }
      boolean all = true;
      for (int i = 0; i < labels.length; i += 2) {
        all &= line.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      }
      if (all) {
        found.add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    assertThat(found).as("samples of %s %s", name, List.of(labels)).hasSize(1);
    return found.get(0);
  }
}
