package dev.hangar.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import dev.hangar.server.SqlReference;
import dev.hangar.server.TestData;
import java.util.Map;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A real server holding two sales flights (Hangar's test data), and DuckDB on its own holding the
 * same tables: what the SQL client tests compare against. Closing checks that no query is left
 * running and no SQL or client memory leaked.
 */
final class SqlFixture implements AutoCloseable {
  static final String SALES1 = "cache/tenant1/sales";
  static final String SALES2 = "cache/tenant2/sales";

  final BufferAllocator allocator = new RootAllocator();
  final HangarServer server;
  final SqlReference reference;

  SqlFixture() throws Exception {
    server = HangarServer.start(HangarConfig.parse("""
        storage: {memory: {capacity: 256MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        """, "test", Map.of()).withPort(0));
    reference = new SqlReference(allocator);
    put(SALES1, TestData.wide(4, 1000, 1));
    put(SALES2, TestData.wide(3, 500, 2));
  }

  void put(String path, TestData.Batches data) throws Exception {
    try (FlightClient client = FlightClient.builder(allocator, server.location()).build()) {
      TestData.put(client, allocator, path, data);
    }
    reference.table(path, data);
  }

  String hostPort() {
    return "127.0.0.1:" + server.port();
  }

  void awaitNoQuery() throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while ((server.sqlQueriesRunning() > 0 || server.sqlAllocatedBytes() > 0) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(server.sqlQueriesRunning()).as("queries still running").isZero();
    assertThat(server.sqlAllocatedBytes()).as("SQL result memory").isZero();
  }

  @Override
  public void close() throws Exception {
    try {
      awaitNoQuery();
    } finally {
      reference.close();
      server.close();
      allocator.close();
    }
  }
}
