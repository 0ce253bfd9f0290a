package dev.hangar.server;

import static dev.hangar.server.ClusterIT.await;
import static dev.hangar.server.ClusterIT.awaitMembers;
import static dev.hangar.server.ClusterIT.config;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.server.cluster.Member;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster while its membership changes: nodes joining and leaving while clients put and read,
 * and one member of a three-member etcd killed under a running cluster.
 */
class ClusterChurnIT {
  @TempDir Path tmp;

  /**
   * Two nodes serve a steady load of puts and reads (two-replica and strong flights) while a third
   * joins, takes its share, and leaves again. Every read of an acknowledged flight, throughout,
   * answers with what was put: no flight with a live replica or a durable copy is ever unavailable.
   * A put may be refused UNAVAILABLE ("retry") in the moment a node leaves, before the others see it go.
   */
  @Test
  void aNodeJoinsAndLeavesUnderLoadAndNoAcknowledgedFlightIsEverUnavailable() throws Exception {
    Path durable = tmp.resolve("durable");
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(durable, etcd.endpoints(), "a", ""));
        Hangar b = Hangar.start(config(durable, etcd.endpoints(), "b", ""))) {
      List<Hangar> stable = List.of(a, b);
      awaitMembers(stable, 2);
      Map<String, Long> acked = new ConcurrentHashMap<>(); // path -> seed of the data acknowledged
      List<String> problems = Collections.synchronizedList(new ArrayList<>());
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger reads = new AtomicInteger();
      AtomicInteger refusedPuts = new AtomicInteger();
      AtomicInteger next = new AtomicInteger();
      ExecutorService load = Executors.newFixedThreadPool(2);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        workers.add(load.submit(() -> {
          ThreadLocalRandom random = ThreadLocalRandom.current();
          while (!stop.get()) {
            Hangar via = stable.get(random.nextInt(2));
            try {
              if (acked.isEmpty() || random.nextInt(3) == 0) {
                int n = next.getAndIncrement();
                String path = (n % 2 == 0 ? "rep/load/f" : "dur/load/f") + n;
                try {
                  via.put(path, TestData.narrow(1, 20, n));
                  acked.put(path, (long) n);
                } catch (FlightRuntimeException e) {
                  // a put forwarded to the leaving node in the moment before the others see it leave:
                  // refused, with "retry", and promised nothing; anything else is a problem
                  if (e.status().code() != org.apache.arrow.flight.FlightStatusCode.UNAVAILABLE || !e.getMessage().contains("retry")) {
                    throw e;
                  }
                  refusedPuts.incrementAndGet();
                }
              } else {
                List<String> paths = new ArrayList<>(acked.keySet());
                String path = paths.get(random.nextInt(paths.size()));
                List<String> got = via.get(path);
                reads.incrementAndGet();
                if (!got.equals(TestData.narrow(1, 20, acked.get(path)).expected(via.allocator))) {
                  problems.add(path + " through " + via.server.cluster().self().id() + " answered other data");
                }
              }
            } catch (FlightRuntimeException e) {
              problems.add("through " + via.server.cluster().self().id() + ": " + e.status().code() + " " + e.getMessage());
            } catch (Exception e) {
              problems.add(e.toString());
            }
          }
          return null;
        }));
      }
      try {
        await("some flights before the join", () -> acked.size() >= 40);
        try (Hangar c = Hangar.start(config(durable, etcd.endpoints(), "c", ""))) {
          List<Hangar> all = List.of(a, b, c);
          awaitMembers(all, 3);
          await("c holding its share of the two-replica flights", () -> acked.keySet().stream().filter(p -> p.startsWith("rep/"))
              .filter(p -> a.server.cluster().owners(p).stream().anyMatch(m -> m.id().equals("c")))
              .filter(p -> !c.server.store().holds(p)).count() <= 2); // the newest may still be on their way
          assertThat(c.server.cluster().metrics().forwardedPuts.sum() + c.server.store().list("").size()).isPositive();
          Thread.sleep(1000);
        } // c leaves: it closes, its lease is revoked
        awaitMembers(stable, 2);
        int before = reads.get();
        await("reads after c left", () -> reads.get() > before + 100);
      } finally {
        stop.set(true);
        for (Future<?> w : workers) {
          w.get();
        }
        load.shutdown();
      }
      assertThat(problems).as("failed calls and wrong answers during the churn (%d reads)", reads.get()).isEmpty();
      assertThat(reads.get()).isGreaterThan(200);
      assertThat(refusedPuts.get()).as("puts refused for a retry while c left").isLessThan(10);
      await("every two-replica flight on both nodes again", () -> acked.keySet().stream().filter(p -> p.startsWith("rep/"))
          .allMatch(p -> a.server.store().holds(p) && b.server.store().holds(p)));
      for (Map.Entry<String, Long> e : acked.entrySet()) {
        for (Hangar node : stable) {
          assertThat(node.get(e.getKey())).as(e.getKey()).isEqualTo(TestData.narrow(1, 20, e.getValue()).expected(node.allocator));
        }
      }
      for (Hangar node : stable) {
        node.awaitIdle();
      }
    }
  }

  /**
   * A node closes gracefully while a put of a two-replica flight, stored on it as primary, is
   * sending its replica. The node leaves the cluster at once, but the put finishes first: its
   * replica lands on the other owner before it answers, so the acknowledged flight outlives the
   * node that took it. (Closing the channels to the peers before the running calls ended cut the
   * replica off, and the flight was lost with the node, answered with copies 1.)
   */
  @Test
  void aNodeThatClosesWhileAPutSendsItsReplicaLetsTheReplicaLand() throws Exception {
    Path durable = tmp.resolve("durable");
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1);
        Hangar a = Hangar.start(config(durable, etcd.endpoints(), "a", ""))) {
      Hangar c = Hangar.start(config(durable, etcd.endpoints(), "c", ""));
      Thread closing = new Thread(c.server::close, "closing-c"); // graceful: leave, then wait for running calls
      try {
        awaitMembers(List.of(a, c), 2);
        String path = null;
        for (int k = 0; path == null; k++) {
          if (c.server.cluster().owners("rep/leaving/f" + k).get(0).id().equals("c")) {
            path = "rep/leaving/f" + k; // c is the primary: the put is stored on c, then sent to a
          }
        }
        TestData.Batches data = TestData.narrow(2, 250_000, 9); // ~30 MB: a replica that takes a while to send
        JsonNode answer;
        try (VectorSchemaRoot root = VectorSchemaRoot.create(data.schema(), c.allocator);
            SyncPutListener results = new SyncPutListener()) {
          FlightClient.ClientStreamListener put = c.client.startPut(FlightDescriptor.path(path), root, results);
          for (int i = 0; i < data.count(); i++) {
            data.fill(root, i);
            put.putNext();
          }
          put.completed();
          long deadline = System.nanoTime() + 30_000_000_000L;
          while (a.server.runningCalls() == 0) { // the replica is on its way to a
            assertThat(System.nanoTime()).as("waiting for c to send the replica").isLessThan(deadline);
            Thread.onSpinWait();
          }
          closing.start();
          put.getResult();
          answer = Hangar.putResult(results);
        }
        closing.join(30_000);
        assertThat(closing.isAlive()).as("c still closing").isFalse();
        awaitMembers(List.of(a), 1);
        assertThat(answer.get("copies").asInt()).as("nodes holding the flight when the put answered").isEqualTo(2);
        assertThat(a.server.store().holds(path)).as("a holds the flight after c is gone").isTrue();
        assertThat(a.action("describe", path).get("rows").asLong()).isEqualTo(answer.get("rows").asLong());
      } finally {
        if (!closing.isAlive()) {
          c.server.close();
        }
        closing.join();
        c.client.close();
        c.allocator.close();
      }
    }
  }

  /**
   * etcd of three members loses one (SIGKILL): the nodes keep their leases and their view through the
   * other two, a new node can still join, and every call goes on working; the member then rejoins.
   */
  @Test
  void killingOneOfThreeEtcdMembersStopsNothing() throws Exception {
    Path durable = tmp.resolve("durable");
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 3);
        Hangar a = Hangar.start(config(durable, etcd.endpoints(), "a", ""));
        Hangar b = Hangar.start(config(durable, etcd.endpoints(), "b", ""));
        Hangar c = Hangar.start(config(durable, etcd.endpoints(), "c", ""))) {
      List<Hangar> nodes = List.of(a, b, c);
      awaitMembers(nodes, 3);
      TestData.Batches data = TestData.narrow(1, 30, 5);
      List<String> expected = data.expected(a.allocator);
      for (int k = 0; k < 12; k++) {
        nodes.get(k % 3).put("rep/before/f" + k, data);
      }
      long changes = a.server.cluster().membership().view().changes();
      etcd.kill(0);
      // three lease TTLs (2 s each) with no member lost and etcd reachable all along
      long until = System.nanoTime() + 6_000_000_000L;
      while (System.nanoTime() < until) {
        for (Hangar node : nodes) {
          assertThat(node.server.cluster().members()).as("members seen by %s", node.server.cluster().self().id()).hasSize(3);
        }
        Thread.sleep(200);
      }
      for (Hangar node : nodes) {
        assertThat(node.server.cluster().healthNote()).as("/ready of %s", node.server.cluster().self().id()).isNull();
      }
      assertThat(a.server.cluster().membership().view().changes()).as("no membership change seen").isEqualTo(changes);
      for (int k = 0; k < 12; k++) {
        nodes.get((k + 1) % 3).put("rep/during/f" + k, data);
      }
      try (Hangar d = Hangar.start(config(durable, etcd.endpoints(), "d", ""))) {
        List<Hangar> four = List.of(a, b, c, d);
        awaitMembers(four, 4);
        for (Hangar node : four) {
          for (int k = 0; k < 12; k++) {
            assertThat(node.get("rep/before/f" + k)).isEqualTo(expected);
            assertThat(node.get("rep/during/f" + k)).isEqualTo(expected);
          }
        }
        etcd.startMember(0);
        d.awaitIdle();
      }
      awaitMembers(nodes, 3);
      for (Hangar node : nodes) {
        assertThat(node.server.cluster().owners("rep/during/f0").stream().map(Member::id)).doesNotContain("d");
        node.awaitIdle();
      }
    }
  }

  /**
   * etcd loses its quorum, then every member: the nodes keep serving puts and reads on the members
   * they last saw, and /ready says etcd does not answer and why (a member that accepts connections
   * but no quorum; then nothing listening). When etcd comes back they register again and /ready clears.
   */
  @Test
  void losingEtcdKeepsServingAndSaysWhyUntilItReturns() throws Exception {
    Path durable = tmp.resolve("durable");
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 3);
        Hangar a = Hangar.start(config(durable, etcd.endpoints(), "a", ""));
        Hangar b = Hangar.start(config(durable, etcd.endpoints(), "b", ""))) {
      List<Hangar> nodes = List.of(a, b);
      awaitMembers(nodes, 2);
      TestData.Batches data = TestData.narrow(1, 30, 5);
      List<String> expected = data.expected(a.allocator);
      etcd.kill(1);
      etcd.kill(2);
      await("etcd unreachable and the quorum named", () -> nodes.stream().allMatch(n ->
          String.valueOf(n.server.cluster().healthNote()).contains("etcd does not answer")
              && String.valueOf(n.server.cluster().healthNote()).contains("says it is not healthy: it has no leader (has it lost its quorum?) (1 of 3 endpoints accept connections)")));
      for (int k = 0; k < 6; k++) {
        nodes.get(k % 2).put("rep/quorum/f" + k, data);
      }
      for (Hangar node : nodes) {
        assertThat(node.server.cluster().members()).hasSize(2);
        for (int k = 0; k < 6; k++) {
          assertThat(node.get("rep/quorum/f" + k)).isEqualTo(expected);
        }
      }
      etcd.kill(0);
      await("nothing listening named", () -> nodes.stream().allMatch(n ->
          String.valueOf(n.server.cluster().healthNote()).contains("nothing answers at any etcd endpoint (" + String.join(", ", etcd.endpoints()) + ")")));
      JsonNode stats = a.action("stats", "").path("cluster");
      assertThat(stats.path("etcdReachable").asBoolean()).isFalse();
      assertThat(stats.path("etcdProblem").asText()).startsWith("nothing answers at any etcd endpoint");
      Thread.sleep(20_000); // a long outage: the etcd client's reconnect backoff grows past the bound below
      for (int i = 0; i < 3; i++) {
        etcd.startMember(i);
      }
      // Within a few heartbeats: not after gRPC's reconnect backoff, which grows over the outage (Membership reconnects).
      long back = System.nanoTime() + 12_000_000_000L;
      while (!nodes.stream().allMatch(n -> n.server.cluster().healthNote() == null)) {
        assertThat(System.nanoTime()).as("etcd seen again within 12 s by every node").isLessThan(back);
        Thread.sleep(50);
      }
      awaitMembers(nodes, 2);
      assertThat(a.action("stats", "").path("cluster").has("etcdProblem")).isFalse();
      for (Hangar node : nodes) {
        assertThat(node.get("rep/quorum/f0")).isEqualTo(expected);
        node.awaitIdle();
      }
    }
  }
}
