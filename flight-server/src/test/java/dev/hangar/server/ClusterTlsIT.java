package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.cluster.Member;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster whose nodes serve mutual TLS with a private CA: nodes reach each other through
 * {@code cluster.peerCa} and present their own certificates, so forwarded puts, replicas and proxied
 * reads all work over TLS. Without {@code peerCa} the JVM's trust store does not know the CA and
 * these calls fail, which is what this test would catch.
 */
class ClusterTlsIT {
  @TempDir Path tmp;

  @Test
  void nodesServingMutualTlsReachEachOtherThroughThePeerCa() throws Exception {
    TestCertificates certs = new TestCertificates(Files.createDirectories(tmp.resolve("certs")));
    Path[] client = certs.client("client", "CN=client");
    List<HangarServer> nodes = new ArrayList<>();
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1); BufferAllocator allocator = new RootAllocator()) {
      try {
        for (String id : List.of("a", "b")) {
          nodes.add(HangarServer.start(HangarConfig.parse("""
              server: {host: 127.0.0.1, port: 0, tls: {cert: "%s", key: "%s", clientCa: "%s", clientAuth: require}}
              storage: {memory: {capacity: 64MiB}}
              storageClasses:
                - {prefix: mem/, tiers: [{storage: memory}]}
                - {prefix: rep/, replicas: 2, tiers: [{storage: memory}]}
              cluster: {nodeId: %s, etcd: [%s], token: %s, peerCa: "%s", leaseTtl: 2s}
              """.formatted(certs.serverCert, certs.serverKey, certs.caCert, id, String.join(", ", etcd.endpoints()), ClusterIT.TOKEN,
              certs.caCert), "cluster tls test", Map.of())));
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!nodes.stream().allMatch(n -> n.cluster().members().size() == 2)) {
          assertThat(System.nanoTime()).as("two members").isLessThan(deadline);
          Thread.sleep(50);
        }
        HangarServer a = nodes.get(0);
        String onB = null;
        for (int k = 0; onB == null; k++) {
          if (a.cluster().owners("mem/f" + k).stream().map(Member::id).toList().equals(List.of("b"))) {
            onB = "mem/f" + k;
          }
        }
        assertThat(a.location().getUri().getScheme()).isEqualTo("grpc+tls");
        TestData.Batches data = TestData.narrow(2, 50, 4);
        try (FlightClient toA = tlsClient(allocator, a, certs, client)) {
          put(toA, onB, data, allocator);
          put(toA, "rep/x", data, allocator);
          assertThat(nodes.get(1).store().holds(onB)).as("forwarded to its owner over TLS").isTrue();
          assertThat(a.store().holds(onB)).isFalse();
          assertThat(a.store().holds("rep/x") && nodes.get(1).store().holds("rep/x")).as("replicated over TLS").isTrue();
          assertThat(rows(toA, onB)).as("read through a, from b").isEqualTo(100);
          assertThat(a.cluster().metrics().forwardedPuts.sum()).isPositive();
          assertThat(a.cluster().metrics().proxiedGets.sum()).isPositive();
        }
      } finally {
        for (HangarServer n : nodes) {
          n.close();
        }
      }
    }
  }

  /** A peerCa that is missing or not a certificate stops the start, naming the setting and the file; nothing is left running. */
  @Test
  void aPeerCaThatCannotBeReadStopsTheStartWithItsName() throws Exception {
    TestCertificates certs = new TestCertificates(Files.createDirectories(tmp.resolve("certs")));
    Path notPem = Files.writeString(tmp.resolve("ca.txt"), "not a certificate");
    for (Path ca : List.of(tmp.resolve("missing.pem"), notPem)) {
      HangarConfig config = HangarConfig.parse("""
          server: {host: 127.0.0.1, port: 0, tls: {cert: "%s", key: "%s"}}
          storage: {memory: {capacity: 16MiB}}
          storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
          cluster: {nodeId: a, etcd: ["http://127.0.0.1:9"], token: %s, peerCa: "%s"}
          """.formatted(certs.serverCert, certs.serverKey, ClusterIT.TOKEN, ca), "cluster tls test", Map.of());
      FailedStart.expect(config, ca.equals(notPem)
          ? "cluster.peerCa " + ca + " is not a PEM certificate file (expected BEGIN CERTIFICATE blocks)"
          : "cluster.peerCa " + ca + " does not exist");
    }
  }

  private static FlightClient tlsClient(BufferAllocator allocator, HangarServer s, TestCertificates certs, Path[] client) throws Exception {
    try (InputStream ca = Files.newInputStream(certs.caCert); InputStream cert = Files.newInputStream(client[0]);
        InputStream key = Files.newInputStream(client[1])) {
      return FlightClient.builder(allocator, s.location()).useTls().trustedCertificates(ca).clientCertificate(cert, key).build();
    }
  }

  private static void put(FlightClient c, String path, TestData.Batches data, BufferAllocator allocator) throws Exception {
    TestData.put(c, allocator, path, data);
  }

  private static long rows(FlightClient c, String path) throws Exception {
    long rows = 0;
    try (FlightStream s = c.getStream(new Ticket(path.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
      while (s.next()) {
        rows += s.getRoot().getRowCount();
      }
    }
    return rows;
  }
}
