package dev.hangar.examples;

import static dev.hangar.examples.SqlFixture.SALES1;
import static dev.hangar.examples.SqlFixture.SALES2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.EtcdCluster;
import dev.hangar.server.HangarServer;
import dev.hangar.server.SqlReference;
import dev.hangar.server.TestData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flight SQL JDBC driver against a three-node cluster (real etcd): whichever node it connects to,
 * queries over flights held on other nodes (a join of two flights on different owners, a durable
 * flight) answer as DuckDB does over the same tables, the catalog lists every member's flights, and
 * the node that ran the query keeps no copy of what it read.
 */
class ClusterJdbcIT {
  static final String DURABLE = "dur/tenant3/sales";

  @TempDir Path tmp;

  @Test
  void jdbcThroughAnyNodeQueriesFlightsHeldOnOthers() throws Exception {
    assertThat(JdbcIT.DRIVER).as("the driver jar (copied by mvn package)").exists();
    List<HangarServer> nodes = new ArrayList<>();
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1); BufferAllocator allocator = new RootAllocator();
        SqlReference reference = new SqlReference(allocator)) {
      try {
        for (String id : List.of("a", "b", "c")) {
          nodes.add(HangarServer.start(HangarConfig.parse("""
              server: {host: 127.0.0.1, port: 0}
              storage: {memory: {capacity: 256MiB}}
              durableStores: [{id: shared, type: filesystem, path: "%s"}]
              storageClasses:
                - {prefix: cache/, tiers: [{storage: memory}]}
                - {prefix: dur/, durability: strong, durableStore: shared, tiers: [{storage: memory}]}
              cluster: {nodeId: %s, etcd: [%s], token: cluster-token-for-tests-0123456789, leaseTtl: 2s}
              """.formatted(tmp.resolve("durable"), id, String.join(", ", etcd.endpoints())), "cluster jdbc test", Map.of())));
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!nodes.stream().allMatch(n -> n.cluster().members().size() == 3)) {
          assertThat(System.nanoTime()).as("three members seen by every node").isLessThan(deadline);
          Thread.sleep(50);
        }
        put(allocator, nodes.get(0), SALES1, TestData.wide(4, 1000, 1));
        put(allocator, nodes.get(1), SALES2, TestData.wide(3, 500, 2));
        put(allocator, nodes.get(2), DURABLE, TestData.wide(2, 300, 3));
        reference.table(SALES1, TestData.wide(4, 1000, 1)).table(SALES2, TestData.wide(3, 500, 2))
            .table(DURABLE, TestData.wide(2, 300, 3));
        // the durable flight now lives only in the shared store: its owner restores it when asked
        for (HangarServer n : nodes) {
          n.store().dropLocal(DURABLE);
        }
        List<String> queries = new ArrayList<>(JdbcIT.QUERIES);
        queries.add("SELECT region, count(*), sum(amount) FROM \"" + DURABLE + "\" GROUP BY 1");
        List<String> commands = new ArrayList<>();
        queries.forEach(q -> commands.add("query\t" + q));
        commands.add("tables\t%");
        commands.add("prepared\tSELECT count(*) FROM \"" + SALES2 + "\" WHERE amount > ?\tdouble:500000.5");
        for (HangarServer node : nodes) {
          String id = node.cluster().self().id();
          long proxied = node.cluster().metrics().proxiedGets.sum();
          List<List<String>> out = JdbcIT.jdbc("127.0.0.1:" + node.port(), commands);
          for (int i = 0; i < queries.size(); i++) {
            assertThat(SqlReference.sorted(out.get(i))).as("%s through node %s", queries.get(i), id).isNotEmpty()
                .isEqualTo(reference.query(queries.get(i)));
          }
          assertThat(out.get(queries.size())).as("the catalog through node %s", id).containsExactly(
              "memory\tmain\t" + SALES1 + "\tTABLE", "memory\tmain\t" + SALES2 + "\tTABLE", "memory\tmain\t" + DURABLE + "\tTABLE");
          assertThat(out.get(queries.size() + 1)).isEqualTo(reference.query("SELECT count(*) FROM \"" + SALES2 + "\" WHERE amount > 500000.5"));
          boolean ownsAll = node.cluster().owns(SALES1) && node.cluster().owns(SALES2) && node.cluster().owns(DURABLE);
          if (!ownsAll) {
            assertThat(node.cluster().metrics().proxiedGets.sum()).as("node %s read flights from their owners", id).isGreaterThan(proxied);
          }
          for (String path : List.of(SALES1, SALES2, DURABLE)) {
            assertThat(node.store().holds(path)).as("%s on node %s after the queries", path, id).isEqualTo(node.cluster().owns(path));
          }
        }
        assertThat(nodes.stream().filter(n -> !n.cluster().owns(SALES1))).as("some node queried SALES1 it does not hold").isNotEmpty();
      } finally {
        for (HangarServer n : nodes) {
          n.close();
        }
      }
    }
  }

  private static void put(BufferAllocator allocator, HangarServer node, String path, TestData.Batches data) throws Exception {
    try (FlightClient client = FlightClient.builder(allocator, node.location()).build()) {
      TestData.put(client, allocator, path, data);
    }
  }
}
