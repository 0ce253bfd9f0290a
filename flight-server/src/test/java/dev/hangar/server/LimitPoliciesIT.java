package dev.hangar.server;

import static dev.hangar.server.FlightRpcIT.assertFlightError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.config.Sizes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.FlightCallHeaders;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.HeaderCallOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limit policies over RPC: quota refusals are RESOURCE_EXHAUSTED with a message naming the policy,
 * the scope and the numbers, and leave no flight, no memory and no usage behind; an ephemeral scope
 * evicts only inside itself; racing clients never take more than a quota; a restart keeps counting
 * durable flights. {@link Hangar#close()} checks after every test that each scope's usage is exactly
 * what its flights hold.
 */
class LimitPoliciesIT {
  /** One batch of {@link #ROWS} int64 values: 520KiB of Arrow body bytes. */
  static final int ROWS = 65_536;
  static final long UNIT = 8L * ROWS + ROWS / 8;

  /** "Each tenant 5, tenant1 10 of which dataSource1 6; each database type at most 2 in memory", in units. */
  static final String POLICIES = """
      limitPolicies:
        - type: hierarchical
          storageClasses: [tenants/]
          levels: [tenant, dataSource]
          default: {total: %1$d}
          overrides:
            tenant1: {total: %2$d, children: {dataSource1: {total: %3$d}}}
        - {type: segmented, storageClasses: [cache/], segment: 1, ephemeral: %4$d}
      """.formatted(5 * UNIT, 10 * UNIT, 6 * UNIT, 2 * UNIT);

  @TempDir Path dir;

  static Hangar start(String classes) throws Exception {
    return Hangar.start("storage: {memory: {capacity: 64MiB}}\n" + classes + POLICIES);
  }

  static final String MEMORY_CLASSES = """
      storageClasses:
        - {prefix: tenants/, tiers: [{storage: memory}]}
        - {prefix: cache/, tiers: [{storage: memory}]}
      """;

  static TestData.Batches units(int n, long seed) {
    return TestData.narrow(n, ROWS, seed);
  }

  static String size(long units) {
    return Sizes.format(units * UNIT);
  }

  static HeaderCallOption announce(long bytes) {
    CallHeaders headers = new FlightCallHeaders();
    headers.insert("x-hangar-flight-size", Long.toString(bytes));
    return new HeaderCallOption(headers);
  }

  /** The stats entry of {@code scope}, or null. */
  static JsonNode scope(Hangar h, String scope) throws Exception {
    for (JsonNode s : h.action("stats", "").get("limitScopes")) {
      if (s.get("scope").asText().equals(scope)) {
        return s;
      }
    }
    return null;
  }

  @Test
  void quotaRefusalsAreResourceExhaustedNameTheScopeAndLeaveNothing() throws Exception {
    try (Hangar h = start(MEMORY_CLASSES)) {
      assertThat(h.put("tenants/tenant2/d/a", units(5, 1)).get("bodyBytes").asLong()).isEqualTo(5 * UNIT);
      long memory = h.memoryUsed();
      assertFlightError(() -> h.put("tenants/tenant2/d/b", units(1, 2)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"tenants/tenant2/d/b\": limitPolicies[0] (hierarchical) scope \"tenants/tenant2\" allows total "
              + size(5) + "; " + size(5) + " is in use and this put needs " + size(1) + " more (delete flights under tenants/tenant2,"
              + " or raise the limit)");
      assertFlightError(() -> h.put("tenants/tenant2/e/a", units(1, 2), announce(3 * UNIT)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"tenants/tenant2/e/a\": limitPolicies[0] (hierarchical) scope \"tenants/tenant2\" allows total "
              + size(5) + "; " + size(5) + " is in use and this put needs " + size(3) + " more (delete flights under tenants/tenant2,"
              + " or raise the limit)");
      assertThat(h.list("tenants/")).containsExactly("tenants/tenant2/d/a");
      assertThat(h.memoryUsed()).as("nothing of the refused puts stays in memory").isEqualTo(memory);
      JsonNode tenant2 = scope(h, "tenants/tenant2");
      assertThat(tenant2.get("total").asLong()).isEqualTo(5 * UNIT);
      assertThat(tenant2.get("totalLimit").asLong()).isEqualTo(5 * UNIT);
      assertThat(tenant2.get("flights").asLong()).isEqualTo(1);
      assertThat(tenant2.get("flightsLimit").isNull()).isTrue();
      assertThat(tenant2.get("rejectedPuts").asLong()).isEqualTo(2);
      assertThat(tenant2.get("policy").asText()).isEqualTo("limitPolicies[0] (hierarchical)");

      // tenant1: 10 in all, dataSource1 at most 6 of it
      h.put("tenants/tenant1/dataSource1/a", units(6, 3));
      assertFlightError(() -> h.put("tenants/tenant1/dataSource1/b", units(1, 3)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"tenants/tenant1/dataSource1/b\": limitPolicies[0] (hierarchical) scope \"tenants/tenant1/dataSource1\""
              + " allows total " + size(6) + "; " + size(6) + " is in use and this put needs " + size(1) + " more (delete flights under"
              + " tenants/tenant1/dataSource1, or raise the limit)");
      h.put("tenants/tenant1/dataSource2/a", units(4, 3));
      assertFlightError(() -> h.put("tenants/tenant1/dataSource3/a", units(2, 3)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"tenants/tenant1/dataSource3/a\": limitPolicies[0] (hierarchical) scope \"tenants/tenant1\" allows total "
              + size(10) + "; " + size(10) + " is in use and this put needs " + size(1) + " more (delete flights under tenants/tenant1,"
              + " or raise the limit)");
      // at the quota, an overwrite still fits as long as it does not grow the tenant past it
      h.put("tenants/tenant1/dataSource2/a", units(4, 4));
      assertFlightError(() -> h.put("tenants/tenant1/dataSource2/a", units(5, 4)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"tenants/tenant1/dataSource2/a\": limitPolicies[0] (hierarchical) scope \"tenants/tenant1\" allows total "
              + size(10) + "; " + size(10) + " is in use and this put needs " + size(1) + " more (beyond the "
              + size(4) + " of the flight it replaces) (delete flights under tenants/tenant1, or raise the limit)");
      assertThat(h.get("tenants/tenant1/dataSource2/a")).as("the refused overwrite left the flight as it was")
          .isEqualTo(units(4, 4).expected(h.allocator));
      assertThat(scope(h, "tenants/tenant1").get("total").asLong()).isEqualTo(10 * UNIT);
      h.action("delete-prefix", "tenants/tenant1/");
      JsonNode tenant1 = scope(h, "tenants/tenant1"); // still listed: it turned a put away
      assertThat(tenant1.get("total").asLong()).isZero();
      assertThat(tenant1.get("rejectedPuts").asLong()).isEqualTo(2);
      assertThat(scope(h, "tenants/tenant1/dataSource1").get("rejectedPuts").asLong()).isEqualTo(1);
      assertThat(scope(h, "tenants/tenant9")).as("a scope that never held anything is not listed").isNull();
    }
  }

  @Test
  void anEphemeralScopeEvictsInsideItselfAndNeverItsSibling() throws Exception {
    try (Hangar h = start(MEMORY_CLASSES)) {
      h.put("cache/postgres/a", units(1, 1));
      h.put("cache/snowflake/a", units(2, 2));
      h.put("cache/postgres/b", units(2, 3)); // 1 + 2 > 2: evicts postgres/a
      assertThat(h.list("cache/")).containsExactly("cache/postgres/b", "cache/snowflake/a");
      assertFlightError(() -> h.get("cache/postgres/a"), FlightStatusCode.NOT_FOUND, "Flight \"cache/postgres/a\" not found");
      assertThat(h.get("cache/snowflake/a")).isEqualTo(units(2, 2).expected(h.allocator));
      JsonNode postgres = scope(h, "cache/postgres");
      assertThat(postgres.get("ephemeral").asLong()).isEqualTo(2 * UNIT);
      assertThat(postgres.get("ephemeralLimit").asLong()).isEqualTo(2 * UNIT);
      assertThat(postgres.get("evictions").asLong()).isEqualTo(1);
      assertThat(scope(h, "cache/snowflake").get("evictions").asLong()).isZero();
      assertFlightError(() -> h.put("cache/mysql/big", units(1, 4), announce(3 * UNIT)), FlightStatusCode.RESOURCE_EXHAUSTED,
          "Cannot store flight \"cache/mysql/big\": it is larger than limitPolicies[1] (segmented) scope \"cache/mysql\" allows in"
              + " this node's tiers (ephemeral " + size(2) + ")");
    }
  }

  @Test
  void racingClientsNeverTakeMoreThanTheQuota() throws Exception {
    try (Hangar h = start(MEMORY_CLASSES)) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        for (boolean announced : new boolean[] {true, false}) {
          String tenant = announced ? "tenants/tenant3/" : "tenants/tenant4/";
          CountDownLatch go = new CountDownLatch(1);
          List<Future<Boolean>> puts = new ArrayList<>();
          for (int i = 0; i < 12; i++) {
            String path = tenant + "d/" + i;
            puts.add(pool.submit(() -> {
              go.await();
              try {
                if (announced) {
                  h.put(path, units(1, 9), announce(UNIT));
                } else {
                  h.put(path, units(1, 9));
                }
                return true;
              } catch (FlightRuntimeException e) {
                assertThat(e.status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED);
                assertThat(e.getMessage()).contains("scope \"" + tenant.substring(0, tenant.length() - 1) + "\" allows total");
                return false;
              }
            }));
          }
          go.countDown();
          int admitted = 0;
          for (Future<Boolean> f : puts) {
            admitted += f.get(60, TimeUnit.SECONDS) ? 1 : 0;
          }
          h.awaitIdle();
          assertThat(h.list(tenant)).hasSize(admitted);
          assertThat(scope(h, tenant.substring(0, tenant.length() - 1)).get("total").asLong()).isEqualTo(admitted * UNIT);
          assertThat(admitted).isBetween(1, 5);
          if (announced) {
            assertThat(admitted).as("reserved before any data: exactly 5 fit").isEqualTo(5);
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aRestartKeepsCountingDurableFlights() throws Exception {
    Files.createDirectories(dir.resolve("durable"));
    String classes = """
        durableStores: [{id: local, type: filesystem, path: "%s"}]
        storageClasses:
          - {prefix: tenants/, durability: strong, durableStore: local, tiers: [{storage: memory}]}
          - {prefix: cache/, tiers: [{storage: memory}]}
        """.formatted(dir.resolve("durable"));
    try (Hangar h = start(classes)) {
      h.put("tenants/tenant2/d/a", units(4, 1));
    }
    try (Hangar h = start(classes)) {
      assertThat(h.list("tenants/")).containsExactly("tenants/tenant2/d/a");
      JsonNode tenant2 = scope(h, "tenants/tenant2");
      assertThat(tenant2.get("flights").asLong()).isEqualTo(1);
      assertThat(tenant2.get("ephemeral").asLong()).as("nothing in memory yet").isZero();
      assertThat(tenant2.get("total").asLong()).as("the object's size").isBetween(4 * UNIT, 4 * UNIT + 8192);
      assertThat(h.action("stats", "").get("limitScopes")).hasSize(1);
      try {
        h.put("tenants/tenant2/d/b", units(1, 2));
        throw new AssertionError("the quota was forgotten across the restart");
      } catch (FlightRuntimeException e) {
        assertThat(e.status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("scope \"tenants/tenant2\" allows total " + size(5));
      }
      assertThat(h.get("tenants/tenant2/d/a")).isEqualTo(units(4, 1).expected(h.allocator)); // restored: now exact
      assertThat(scope(h, "tenants/tenant2").get("total").asLong()).isEqualTo(4 * UNIT);
      assertThat(scope(h, "tenants/tenant2").get("ephemeral").asLong()).isEqualTo(4 * UNIT);
      h.put("tenants/tenant2/d/b", units(1, 2));
      h.action("delete", "tenants/tenant2/d/a");
      assertThat(scope(h, "tenants/tenant2").get("total").asLong()).isEqualTo(UNIT);
    }
  }
}
