package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.config.HangarConfig;
import dev.hangar.server.cluster.Member;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableExistsOption;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three Hangar nodes and a real etcd on loopback form one cluster: every call works through every
 * node, flights live on the nodes placement names (and only there), replicas are made, locations
 * name the owners, listings merge without duplicates, and deletes reach every copy.
 */
class ClusterIT {
  static final String TOKEN = "cluster-token-for-tests-0123456789";

  @TempDir Path tmp;

  /** A node's config: four classes (one node; two replicas; strong in the shared store; placed by tenant). */
  static HangarConfig config(Path durable, List<String> etcd, String nodeId, String extra) {
    return HangarConfig.parse(yaml(durable, etcd, nodeId, extra), "cluster test", Map.of());
  }

  static String yaml(Path durable, List<String> etcd, String nodeId, String extra) {
    return """
        server: {host: 127.0.0.1, port: 0}
        storage: {memory: {capacity: 256MiB}}
        durableStores: [{id: shared, type: filesystem, path: "%s"}]
        storageClasses:
          - {prefix: mem/, tiers: [{storage: memory}]}
          - {prefix: rep/, replicas: 2, tiers: [{storage: memory}]}
          - {prefix: dur/, durability: strong, durableStore: shared, tiers: [{storage: memory}]}
          - {prefix: tenant/, placement: {segments: 2}, tiers: [{storage: memory}]}
        cluster: {nodeId: %s, etcd: [%s], token: %s, leaseTtl: 2s, peerTimeout: 10s}
        %s
        """.formatted(durable, nodeId, String.join(", ", etcd), TOKEN, extra);
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  static void awaitMembers(List<Hangar> nodes, int n) throws InterruptedException {
    await(n + " members seen by every node", () -> nodes.stream().allMatch(h -> h.server.cluster().members().size() == n));
  }

  @Test
  void everyNodeAnswersEveryCallAndFlightsLiveWherePlacementSays() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "a", ""));
        Hangar b = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "b", ""));
        Hangar c = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "c", ""))) {
      List<Hangar> nodes = List.of(a, b, c);
      awaitMembers(nodes, 3);
      TestData.Batches data = TestData.narrow(3, 100, 7);
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        for (String prefix : List.of("mem/", "rep/", "dur/")) {
          for (int k = 0; k < 4; k++) {
            paths.add(prefix + "from-" + i + "/f" + k);
          }
        }
        for (int k = 0; k < 4; k++) {
          paths.add("tenant/t" + i + "/f" + k);
        }
      }
      for (int p = 0; p < paths.size(); p++) {
        JsonNode result = nodes.get(p % 3).put(paths.get(p), data);
        assertThat(result.get("path").asText()).isEqualTo(paths.get(p));
        assertThat(result.get("copies").asInt()).as(paths.get(p)).isEqualTo(paths.get(p).startsWith("rep/") ? 2 : 1);
      }
      List<String> expected = data.expected(a.allocator);
      for (String path : paths) {
        List<Member> owners = a.server.cluster().owners(path);
        assertThat(owners).hasSize(path.startsWith("rep/") ? 2 : 1);
        Set<String> ownerIds = new HashSet<>(owners.stream().map(Member::id).toList());
        for (Hangar node : nodes) {
          String id = node.server.cluster().self().id();
          assertThat(node.server.cluster().owners(path)).as("every node places alike").isEqualTo(owners);
          assertThat(node.server.store().holds(path)).as("%s held on %s (owners %s)", path, id, ownerIds).isEqualTo(ownerIds.contains(id));
          assertThat(node.get(path)).as("%s read through %s", path, id).isEqualTo(expected);
          FlightInfo info = node.client.getInfo(FlightDescriptor.path(path));
          assertThat(info.getEndpoints()).hasSize(1);
          assertThat(info.getEndpoints().get(0).getLocations().stream().map(l -> l.getUri().toString()).toList())
              .as("locations of %s from %s", path, id).isEqualTo(owners.stream().map(Member::flight).toList());
          assertThat(info.getRecords()).isEqualTo(300);
        }
      }
      for (int i = 0; i < 3; i++) {
        String tenantOwner = a.server.cluster().owners("tenant/t" + i + "/f0").get(0).id();
        for (int k = 1; k < 4; k++) {
          assertThat(a.server.cluster().owners("tenant/t" + i + "/f" + k).get(0).id()).as("one tenant, one owner").isEqualTo(tenantOwner);
        }
      }
      for (Hangar node : nodes) {
        String metrics = node.server.metrics().scrape();
        assertThat(metrics).contains("hangar_cluster_members 3.0", "hangar_cluster_etcd_reachable 1.0",
            "hangar_cluster_replica_copies_total{outcome=\"failed\"} 0.0");
        assertThat(metric(metrics, "hangar_cluster_forwarded_puts_total")).as("puts this node passed on").isPositive();
        assertThat(metric(metrics, "hangar_cluster_proxied_gets_total")).as("reads this node streamed from others").isPositive();
      }
      assertThat(nodes.stream().mapToDouble(n -> metric(n.server.metrics().scrape(), "hangar_cluster_sent_bytes_total")).sum())
          .as("replica copies sent").isPositive();
      JsonNode stats = b.action("stats", "").get("cluster");
      assertThat(stats.get("self").asText()).isEqualTo("b");
      assertThat(stats.get("etcdReachable").asBoolean()).isTrue();
      assertThat(stats.get("members")).extracting(m -> m.get("id").asText()).containsExactly("a", "b", "c");
      assertThat(stats.get("forwardedPuts").asLong()).isEqualTo(b.server.cluster().metrics().forwardedPuts.sum());
      java.io.ByteArrayOutputStream cliOut = new java.io.ByteArrayOutputStream();
      int code = dev.hangar.cli.HangarCli.run(new String[] {"stats", "--url=grpc://127.0.0.1:" + b.server.port()},
          new java.io.PrintStream(cliOut, true, StandardCharsets.UTF_8), new java.io.PrintStream(new java.io.ByteArrayOutputStream()));
      assertThat(code).isZero();
      assertThat(cliOut.toString(StandardCharsets.UTF_8)).contains("cluster hangar, this node b, etcd reachable",
          "member", a.server.location().getUri().toString(), c.server.location().getUri().toString());
      List<String> sorted = new ArrayList<>(paths);
      sorted.sort(null);
      for (Hangar node : nodes) {
        assertThat(node.list("")).as("the merged listing, each flight once").isEqualTo(sorted);
        assertThat(node.list("rep/")).hasSize(12);
        // a tenant's prefix in a class placed by tenant is listed from that tenant's owners only
        dev.hangar.server.cluster.Cluster cl = node.server.cluster();
        assertThat(cl.listingPeers("tenant/t1/")).isEqualTo(cl.candidates("tenant/t1/f0").stream().filter(m -> !cl.isSelf(m)).toList());
        assertThat(cl.listingPeers("tenant/")).isEqualTo(cl.others());
        assertThat(cl.listingPeers("tenant/t1")).as("not a whole segment: t10 too").isEqualTo(cl.others());
        assertThat(cl.listingPeers("mem/")).isEqualTo(cl.others());
        assertThat(node.list("tenant/t1/")).containsExactly("tenant/t1/f0", "tenant/t1/f1", "tenant/t1/f2", "tenant/t1/f3");
      }

      // Deletes reach every copy, and the durable one.
      String replicated = "rep/from-0/f0";
      assertThat(c.action("delete", replicated).get("deleted").asBoolean()).isTrue();
      for (Hangar node : nodes) {
        assertThat(node.server.store().holds(replicated)).isFalse();
        assertThatThrownBy(() -> node.get(replicated)).isInstanceOfSatisfying(FlightRuntimeException.class,
            e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
      }
      String durable = "dur/from-1/f2";
      assertThat(a.action("delete", durable).get("deleted").asBoolean()).isTrue();
      for (Hangar node : nodes) {
        assertThatThrownBy(() -> node.get(durable)).isInstanceOf(FlightRuntimeException.class);
      }
      assertThat(b.action("delete-prefix", "mem/").get("deleted").asInt()).isEqualTo(12);
      assertThatThrownBy(() -> a.action("delete", "mem/from-0/f0")).isInstanceOfSatisfying(FlightRuntimeException.class,
          e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
      for (Hangar node : nodes) {
        assertThat(node.list("mem/")).isEmpty();
        assertThat(node.list("")).hasSize(paths.size() - 14);
      }

      // A Flight SQL bulk ingestion is a put: through any node to the table path's owners, whose answer is the client's.
      try (org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.create(TestData.NARROW, a.allocator)) {
        TestData.narrow(1, 100, 7).fill(root, 0);
        TableDefinitionOptions create = TableDefinitionOptions.newBuilder().setIfNotExist(TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE)
            .setIfExists(TableExistsOption.TABLE_EXISTS_OPTION_FAIL).build();
        for (int i = 0; i < 3; i++) {
          String path = "rep/ingested-" + i;
          var options = new FlightSqlClient.ExecuteIngestOptions(path, create, null, null, Map.of());
          FlightSqlClient sql = new FlightSqlClient(nodes.get(i).client); // not closed: that would close the node's client
          assertThat(sql.executeIngest(root, options)).isEqualTo(100);
          Set<String> ownerIds = new HashSet<>(a.server.cluster().owners(path).stream().map(Member::id).toList());
          assertThat(ownerIds).hasSize(2);
          for (Hangar node : nodes) {
            assertThat(node.server.store().holds(path)).isEqualTo(ownerIds.contains(node.server.cluster().self().id()));
            assertThat(node.client.getInfo(FlightDescriptor.path(path)).getRecords()).isEqualTo(100);
          }
          FlightSqlClient other = new FlightSqlClient(nodes.get((i + 1) % 3).client);
          assertThatThrownBy(() -> other.executeIngest(root, options)).isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
            assertThat(e.status().code()).isEqualTo(FlightStatusCode.ALREADY_EXISTS);
            assertThat(e.status().description()).startsWith("Cannot ingest table \"" + path + "\": a flight exists at that path");
          });
        }
      }
      for (Hangar node : nodes) {
        node.awaitIdle();
      }
    }
  }

  @Test
  void clientsThatFollowLocationsReadFromTheOwner() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "a", ""));
        Hangar b = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "b", ""));
        Hangar c = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "c", ""));
        BufferAllocator allocator = new RootAllocator()) {
      List<Hangar> nodes = List.of(a, b, c);
      awaitMembers(nodes, 3);
      TestData.Batches data = TestData.narrow(2, 50, 3);
      for (int k = 0; k < 6; k++) {
        a.put("mem/follow/f" + k, data);
      }
      // Java: GetFlightInfo at a node that may not hold it, then DoGet at the endpoint's first location.
      for (int k = 0; k < 6; k++) {
        String path = "mem/follow/f" + k;
        FlightInfo info = b.client.getInfo(FlightDescriptor.path(path));
        FlightEndpoint endpoint = info.getEndpoints().get(0);
        Location owner = endpoint.getLocations().get(0);
        Hangar ownerNode = nodes.stream().filter(n -> n.server.location().getUri().equals(owner.getUri())).findFirst().orElseThrow();
        long proxiedBefore = nodes.stream().mapToLong(n -> n.server.cluster().metrics().proxiedGets.sum()).sum();
        try (FlightClient direct = FlightClient.builder(allocator, owner).build();
            FlightStream stream = direct.getStream(endpoint.getTicket())) {
          int rows = 0;
          while (stream.next()) {
            rows += stream.getRoot().getRowCount();
          }
          assertThat(rows).isEqualTo(100);
        }
        assertThat(ownerNode.server.store().holds(path)).isTrue();
        assertThat(nodes.stream().mapToLong(n -> n.server.cluster().metrics().proxiedGets.sum()).sum())
            .as("read from the owner itself, not through another node").isEqualTo(proxiedBefore);
      }
      // pyarrow: the same, by a script that follows locations.
      String out = PyTest.script(PyTest.ROOT.resolve("client-examples/python/cluster/follow_locations.py"),
          "grpc://127.0.0.1:" + c.server.port(), "mem/follow/");
      assertThat(out).contains("6 flights read from their owners");
      for (Hangar node : nodes) {
        node.awaitIdle();
      }
    }
  }

  @Test
  void peerHeadersNeedTheClusterTokenAndAWrongTokenIsRefused() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "a", ""))) {
      awaitMembers(List.of(a), 1);
      a.put("mem/x", TestData.narrow(1, 5, 1));
      // A client that claims to be another node without the token gets no special treatment: the
      // peer-only actions stay unknown to it.
      FlightRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(FlightRuntimeException.class, () -> a.action("cluster-drop", "mem/x"));
      assertThat(e.status().code()).isEqualTo(FlightStatusCode.INVALID_ARGUMENT);
      assertThat(e.getMessage()).contains("Unknown action \"cluster-drop\"");
      assertThat(a.server.store().holds("mem/x")).isTrue();
      org.apache.arrow.flight.CallOption wrong = new org.apache.arrow.flight.HeaderCallOption(headers("x-hangar-cluster-token", "nope-nope-nope-nope"));
      FlightRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(FlightRuntimeException.class,
          () -> a.client.getInfo(FlightDescriptor.path("mem/x"), wrong));
      assertThat(refused.status().code()).isEqualTo(FlightStatusCode.UNAUTHENTICATED);
      assertThat(refused.getMessage()).contains("Invalid cluster token");
      a.awaitIdle();
    }
  }

  /**
   * Copies between nodes carry their version's commit time: a late copy (a replica or a rebalancing
   * copy still on its way) never replaces a newer put, nor brings back a flight deleted after it.
   */
  @Test
  void lateCopiesNeverReplaceANewerPutNorReviveADeletedFlight() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "a", ""))) {
      awaitMembers(List.of(a), 1);
      TestData.Batches first = TestData.narrow(1, 5, 1);
      a.put("mem/v", first);
      java.time.Instant committed = a.server.store().info("mem/v").committedAt();
      FlightRuntimeException stale = org.junit.jupiter.api.Assertions.assertThrows(FlightRuntimeException.class,
          () -> a.put("mem/v", TestData.narrow(1, 5, 2), replicaOf(committed.minusSeconds(1))));
      assertThat(stale.status().code()).isEqualTo(FlightStatusCode.ALREADY_EXISTS);
      assertThat(stale.getMessage()).contains("holds a version as new or newer");
      assertThat(a.get("mem/v")).as("the newer put stays").isEqualTo(first.expected(a.allocator));

      TestData.Batches newer = TestData.narrow(1, 5, 3);
      java.time.Instant later = committed.plusNanos(1000); // a newer version, committed before the delete below
      a.put("mem/v", newer, replicaOf(later));
      assertThat(a.get("mem/v")).as("a newer copy replaces it").isEqualTo(newer.expected(a.allocator));
      assertThat(a.server.store().info("mem/v").committedAt()).as("as of the primary's commit").isEqualTo(later);

      a.action("delete", "mem/v");
      FlightRuntimeException revived = org.junit.jupiter.api.Assertions.assertThrows(FlightRuntimeException.class,
          () -> a.put("mem/v", newer, replicaOf(later)));
      assertThat(revived.status().code()).isEqualTo(FlightStatusCode.ALREADY_EXISTS);
      assertThat(revived.getMessage()).contains("saw it deleted at");
      assertThatThrownBy(() -> a.get("mem/v")).isInstanceOfSatisfying(FlightRuntimeException.class,
          e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
      a.awaitIdle();
      assertThat(a.server.workingAllocatedBytes()).isZero();
    }
  }

  /**
   * Soon after a membership change, a node may still hold a copy of a flight it no longer owns (not
   * handed over yet). A put of that flight at its owner tells such a node to drop the older copy, so
   * it can never serve it again, even if the owner dies before the handover.
   */
  @Test
  void aPutTellsAFormerOwnerToDropItsOlderCopy() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "a", ""));
        Hangar b = Hangar.start(config(tmp.resolve("durable"), etcd.endpoints(), "b", ""))) {
      awaitMembers(List.of(a, b), 2);
      String path = null;
      for (int k = 0; path == null; k++) {
        if (a.server.cluster().owners("mem/s" + k).get(0).id().equals("b")) {
          path = "mem/s" + k;
        }
      }
      // a holds an old copy it does not own, as a node that owned it before b joined would
      java.time.Instant old = java.time.Instant.now().minusSeconds(60);
      a.put(path, TestData.narrow(1, 5, 1), replicaOf(old));
      assertThat(a.server.store().holds(path)).isTrue();
      TestData.Batches newer = TestData.narrow(1, 5, 2);
      b.put(path, newer);
      assertThat(a.server.store().holds(path)).as("the older copy dropped when the put landed").isFalse();
      assertThat(b.server.store().holds(path)).isTrue();
      assertThat(a.get(path)).isEqualTo(newer.expected(a.allocator));
      a.awaitIdle();
      b.awaitIdle();
    }
  }

  /** The headers another node's replica copy carries (the cluster token and the version's commit time). */
  static org.apache.arrow.flight.HeaderCallOption replicaOf(java.time.Instant committedAt) {
    org.apache.arrow.flight.FlightCallHeaders h = new org.apache.arrow.flight.FlightCallHeaders();
    h.insert("x-hangar-cluster-token", TOKEN);
    h.insert("x-hangar-replica", committedAt.toString());
    return new org.apache.arrow.flight.HeaderCallOption(h);
  }

  /**
   * A class placed by tenant (placement segments 2) keeps each tenant's flights on one owner, so the
   * tenant's quota there is the cluster's: exact whichever node the put came through. A class placed
   * by path spreads a tenant over the nodes, and each node enforces the limit on its own share (the
   * README says so).
   */
  @Test
  void quotasPlacedByTenantAreExactAcrossNodes() throws Exception {
    long unit = LimitPoliciesIT.UNIT;
    String policies = """
        limitPolicies:
          - {type: hierarchical, storageClasses: [tenant/], levels: [tenant], default: {total: %1$d}}
          - {type: hierarchical, storageClasses: [mem/], levels: [tenant], default: {total: %1$d}}
        """.formatted(3 * unit);
    Path durable = tmp.resolve("durable");
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(durable, etcd.endpoints(), "a", policies));
        Hangar b = Hangar.start(config(durable, etcd.endpoints(), "b", policies));
        Hangar c = Hangar.start(config(durable, etcd.endpoints(), "c", policies))) {
      List<Hangar> nodes = List.of(a, b, c);
      awaitMembers(nodes, 3);
      for (int k = 0; k < 3; k++) {
        nodes.get(k).put("tenant/t1/f" + k, LimitPoliciesIT.units(1, k));
      }
      String owner = a.server.cluster().owners("tenant/t1/f0").get(0).id();
      for (Hangar node : nodes) {
        FlightRpcIT.assertFlightError(() -> node.put("tenant/t1/f3", LimitPoliciesIT.units(1, 9)), FlightStatusCode.RESOURCE_EXHAUSTED,
            "Cannot store flight \"tenant/t1/f3\": limitPolicies[0] (hierarchical) scope \"tenant/t1\" allows total "
                + LimitPoliciesIT.size(3) + "; " + LimitPoliciesIT.size(3) + " is in use and this put needs " + LimitPoliciesIT.size(1)
                + " more (delete flights under tenant/t1, or raise the limit)");
        JsonNode scope = LimitPoliciesIT.scope(node, "tenant/t1");
        if (node.server.cluster().self().id().equals(owner)) {
          assertThat(scope.get("total").asLong()).as("the owner counts the tenant's flights").isEqualTo(3 * unit);
        } else {
          assertThat(scope == null || scope.get("total").asLong() == 0).as("no quota used on %s, which forwarded the puts",
              node.server.cluster().self().id()).isTrue();
          assertThat(node.server.store().list("tenant/")).isEmpty();
        }
      }
      // another tenant has its own quota, whichever its owner
      for (int k = 0; k < 3; k++) {
        nodes.get(2 - k).put("tenant/t2/f" + k, LimitPoliciesIT.units(1, k));
      }
      // room freed through one node is room for a put through another
      assertThat(c.action("delete", "tenant/t1/f1").get("deleted").asBoolean()).isTrue();
      b.put("tenant/t1/f3", LimitPoliciesIT.units(1, 9));
      assertThat(a.list("tenant/t1/")).containsExactly("tenant/t1/f0", "tenant/t1/f2", "tenant/t1/f3");

      // placed by path: the same tenant's flights land on several nodes, each of which counts its own
      List<String> spread = new ArrayList<>();
      Map<String, Integer> perNode = new java.util.HashMap<>();
      for (int k = 0; spread.size() < 4; k++) {
        String path = "mem/t1/f" + k;
        String id = a.server.cluster().owners(path).get(0).id();
        if (perNode.getOrDefault(id, 0) < 2) {
          perNode.merge(id, 1, Integer::sum);
          spread.add(path);
        }
      }
      for (String path : spread) {
        a.put(path, LimitPoliciesIT.units(1, 1));
      }
      assertThat(a.list("mem/t1/")).as("4 units stored under a 3-unit limit: it holds per node").hasSize(4);
      for (Hangar node : nodes) {
        node.awaitIdle();
      }
    }
  }

  /**
   * Node c runs in its own process and is SIGKILLed: flights with two replicas are all still served,
   * from the survivors, and re-replicated between them; strong flights are restored from the shared
   * store by their new owners; single-copy memory flights that lived on c are gone (as the README
   * says). When c starts again it receives its share back, and the copies it takes over are dropped
   * from the nodes that no longer own them.
   */
  @Test
  void replicasSurviveKillOfANodeAndItsShareReturnsWhenItRejoins() throws Exception {
    Path durable = tmp.resolve("durable");
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(durable, etcd.endpoints(), "a", ""));
        Hangar b = Hangar.start(config(durable, etcd.endpoints(), "b", ""))) {
      Path configC = tmp.resolve("c.yaml");
      java.nio.file.Files.writeString(configC, yaml(durable, etcd.endpoints(), "c", ""));
      Process c = startProcess(configC, "c1");
      List<Hangar> survivors = List.of(a, b);
      try {
        awaitMembers(survivors, 3);
        TestData.Batches data = TestData.narrow(2, 40, 11);
        List<String> expected = data.expected(a.allocator);
        List<String> paths = new ArrayList<>();
        for (int k = 0; k < 30; k++) {
          for (String prefix : List.of("rep/", "dur/", "mem/")) {
            String path = prefix + "k" + k;
            JsonNode r = survivors.get(k % 2).put(path, data);
            if (prefix.equals("rep/")) {
              assertThat(r.get("copies").asInt()).isEqualTo(2);
            }
            paths.add(path);
          }
        }
        Set<String> onC = new HashSet<>();
        for (String path : paths) {
          if (a.server.cluster().owners(path).stream().anyMatch(m -> m.id().equals("c"))) {
            onC.add(path);
          }
        }
        assertThat(onC.stream().filter(p -> p.startsWith("rep/"))).as("c holds some replicas").isNotEmpty();
        assertThat(onC.stream().filter(p -> p.startsWith("mem/"))).as("and some single copies").isNotEmpty();

        c.destroyForcibly(); // SIGKILL: no goodbye, the lease runs out
        c.waitFor();
        // until its lease runs out, a put for a flight c owns is refused, saying so, and leaves nothing behind
        String onDeadC = null;
        for (int k = 0; onDeadC == null; k++) {
          if (a.server.cluster().owners("mem/late" + k).get(0).id().equals("c")) {
            onDeadC = "mem/late" + k;
          }
        }
        assertThat(a.server.cluster().members()).as("c still a member: its 2 s lease has not run out").hasSize(3);
        String late = onDeadC;
        FlightRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(FlightRuntimeException.class,
            () -> a.put(late, data));
        assertThat(refused.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE);
        assertThat(refused.getMessage()).contains("Cannot store flight \"" + late + "\": its owner, node c, cannot be reached; retry");
        assertThat(a.server.store().holds(late)).isFalse();
        a.awaitIdle();
        awaitMembers(survivors, 2);
        for (Hangar node : survivors) {
          for (String path : paths) {
            boolean lost = path.startsWith("mem/") && onC.contains(path);
            if (lost) {
              assertThatThrownBy(() -> node.get(path)).as(path).isInstanceOfSatisfying(FlightRuntimeException.class,
                  e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
            } else {
              assertThat(node.get(path)).as("%s through %s after the kill", path, node.server.cluster().self().id()).isEqualTo(expected);
            }
          }
        }
        await("every two-replica flight on both survivors again", () -> paths.stream().filter(p -> p.startsWith("rep/"))
            .allMatch(p -> a.server.store().holds(p) && b.server.store().holds(p)));

        c = startProcess(configC, "c2");
        awaitMembers(survivors, 3);
        await("two-replica flights held exactly by their owners once c is back", () -> paths.stream().filter(p -> p.startsWith("rep/"))
            .allMatch(p -> {
              Set<String> owners = new HashSet<>(a.server.cluster().owners(p).stream().map(Member::id).toList());
              return a.server.store().holds(p) == owners.contains("a") && b.server.store().holds(p) == owners.contains("b");
            }));
        assertThat(a.server.cluster().metrics().droppedAfterHandover.sum() + b.server.cluster().metrics().droppedAfterHandover.sum())
            .as("copies handed back to c and dropped here").isPositive();
        for (String path : paths) {
          if (path.startsWith("rep/") && onC.contains(path)) {
            assertThat(a.get(path)).as("%s back on c, read through a", path).isEqualTo(expected);
          }
        }
        for (Hangar node : survivors) {
          node.awaitIdle();
        }
      } finally {
        c.destroyForcibly();
        c.waitFor();
      }
    }
  }

  private Process startProcess(Path config, String name) throws Exception {
    Path log = tmp.resolve("node-" + name + ".log");
    ProcessBuilder pb = new ProcessBuilder(List.of(PyTest.ROOT.resolve("hangar").toString(), "serve", "--config", config.toString()))
        .directory(PyTest.ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(Map.of("HANGAR_NO_BUILD", "1", "HANGAR_HEAP", "256m", "HANGAR_MAX_DIRECT_MEMORY", "600m"));
    Process p = pb.start();
    LauncherIT.awaitPort(p, log, java.util.regex.Pattern.compile("Hangar listening on grpc://127\\.0\\.0\\.1:(\\d+)"));
    return p;
  }

  /** The value of an unlabelled meter in a Prometheus scrape. */
  static double metric(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + name + " in /metrics");
  }

  static org.apache.arrow.flight.CallHeaders headers(String key, String value) {
    org.apache.arrow.flight.FlightCallHeaders h = new org.apache.arrow.flight.FlightCallHeaders();
    h.insert(key, value);
    return h;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Ticket ticket(String path) {
    return new Ticket(utf8(path));
  }
}
