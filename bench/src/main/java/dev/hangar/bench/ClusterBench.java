package dev.hangar.bench;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One node against three, on this machine: a mixed workload (80 % DoGet, 20 % DoPut overwrites of 64
 * KiB flights, 8 pyarrow client threads, {@code bench/python/cluster_mixed.py}) against a single node,
 * against a three-node cluster (a real etcd, started here) through any node, and against the cluster
 * with clients that follow GetFlightInfo locations to the owner. All nodes run in this JVM on the same
 * cores, so the ratio shows what the cluster's extra hops cost, not what more machines add.
 */
public final class ClusterBench {
  public static void main(String[] args) throws Exception {
    String python = FlightThroughputBench.option(args, "--python", ".venv/bin/python");
    Path scripts = Path.of(FlightThroughputBench.option(args, "--scripts", "bench/python"));
    String seconds = FlightThroughputBench.option(args, "--seconds", "5");
    String rounds = FlightThroughputBench.option(args, "--rounds", "3");
    String etcdBinary = new String(new ProcessBuilder("tools/setup-etcd.sh").start().getInputStream().readAllBytes(),
        StandardCharsets.UTF_8).trim();
    Path dir = Files.createTempDirectory("hangar-cluster-bench");
    int etcdPort = freePort();
    int peerPort = freePort();
    Process etcd = new ProcessBuilder(etcdBinary, "--name", "bench", "--data-dir", dir.resolve("etcd").toString(),
        "--listen-client-urls", "http://127.0.0.1:" + etcdPort, "--advertise-client-urls", "http://127.0.0.1:" + etcdPort,
        "--listen-peer-urls", "http://127.0.0.1:" + peerPort, "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPort,
        "--initial-cluster", "bench=http://127.0.0.1:" + peerPort).redirectErrorStream(true)
        .redirectOutput(dir.resolve("etcd.log").toFile()).start();
    List<HangarServer> servers = new ArrayList<>();
    try {
      awaitPort(etcdPort);
      String classes = """
          server: {host: 127.0.0.1, port: 0}
          storage: {memory: {capacity: 2GiB}}
          storageClasses: [{prefix: mixed/, tiers: [{storage: memory}]}]
          """;
      HangarServer single = HangarServer.start(HangarConfig.parse(classes, "bench", Map.of()));
      servers.add(single);
      List<String> clusterUrls = new ArrayList<>();
      for (String id : List.of("a", "b", "c")) {
        HangarServer node = HangarServer.start(HangarConfig.parse(classes + """
            cluster: {nodeId: %s, etcd: ["http://127.0.0.1:%d"], token: cluster-bench-token-0123456789}
            """.formatted(id, etcdPort), "bench", Map.of()));
        servers.add(node);
        clusterUrls.add("grpc://127.0.0.1:" + node.port());
      }
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (servers.subList(1, 4).stream().anyMatch(s -> s.cluster().members().size() != 3)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the three nodes did not see each other");
        }
        Thread.sleep(50);
      }
      // steady state: for a minute after a membership change puts also tell former owners to drop older copies
      System.out.println("# waiting 61 s: the cluster just formed, and puts do extra work for a minute after a membership change");
      Thread.sleep(61_000);
      List<String> command = new ArrayList<>(List.of(python, scripts.resolve("cluster_mixed.py").toString(),
          "--seconds", seconds, "--rounds", rounds,
          "one-node=direct=grpc://127.0.0.1:" + single.port(),
          "three-nodes=direct=" + String.join(",", clusterUrls),
          "three-nodes-follow=follow=" + String.join(",", clusterUrls)));
      Process client = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Map<String, List<double[]>> results = SmallFlightBench.results(client, 1);
      if (client.waitFor() != 0) {
        throw new IllegalStateException("cluster_mixed.py failed");
      }
      long forwarded = 0;
      long proxied = 0;
      for (HangarServer s : servers.subList(1, 4)) {
        forwarded += s.cluster().metrics().forwardedPuts.sum();
        proxied += s.cluster().metrics().proxiedGets.sum();
      }
      System.out.println();
      System.out.println("| target | ops/s | p50 ms | p99 ms | ratio to one node |");
      System.out.println("|---|---|---|---|---|");
      double base = SmallFlightBench.median(results.get("one-node"), 0);
      results.forEach((name, rows) -> System.out.printf(Locale.ROOT, "| %s | %.0f | %.2f | %.2f | %.2f |%n", name, SmallFlightBench.median(rows, 0),
          SmallFlightBench.median(rows, 1), SmallFlightBench.median(rows, 2), SmallFlightBench.median(rows, 0) / base));
      System.out.printf(Locale.ROOT, "%nIn the cluster: %,d puts forwarded to their owner, %,d reads proxied from another node%n",
          forwarded, proxied);
    } finally {
      for (HangarServer s : servers) {
        s.close();
      }
      etcd.destroy();
    }
  }

  private static int freePort() throws java.io.IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port) throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("etcd did not start");
  }
}
