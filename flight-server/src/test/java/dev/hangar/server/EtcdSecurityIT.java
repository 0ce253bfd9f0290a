package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.cluster.Member;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes that reach a real etcd over TLS (with and without a client certificate) and with etcd's
 * user authentication on. A node set up right joins; one set up wrong still starts, alone, and says
 * why etcd does not answer in its log, {@code /ready} and {@code stats}; a TLS file that cannot be
 * used stops the start with the setting's name; files renewed in place are read without a restart.
 */
class EtcdSecurityIT {
  @TempDir Path tmp;

  @Test
  void nodesJoinThroughEtcdServingTlsWithClientCertificates() throws Exception {
    TestCertificates certs = new TestCertificates(Files.createDirectories(tmp.resolve("certs")));
    Path[] client = certs.client("etcd-client", "CN=hangar");
    try (EtcdCluster etcd = EtcdCluster.startTls(tmp, certs.serverCert, certs.serverKey, certs.caCert)) {
      assertThat(etcd.endpoints().get(0)).startsWith("https://");
      List<HangarServer> nodes = new ArrayList<>();
      try {
        for (String id : List.of("a", "b")) {
          nodes.add(HangarServer.start(node(id, etcd.endpoints().get(0),
              "etcdTls: {ca: \"%s\", cert: \"%s\", key: \"%s\"}".formatted(certs.caCert, client[0], client[1]))));
        }
        awaitMembers(nodes, 2);
        for (HangarServer n : nodes) {
          assertThat(n.cluster().membership().problem()).isEmpty();
          assertThat(n.cluster().healthNote()).isNull();
        }
      } finally {
        closeAll(nodes);
      }
    }
  }

  @Test
  void aNodeSetUpWrongForEtcdTlsStartsAloneAndSaysWhy() throws Exception {
    TestCertificates certs = new TestCertificates(Files.createDirectories(tmp.resolve("certs")));
    Path[] foreign = certs.foreignClient("foreign", "CN=stranger");
    try (EtcdCluster etcd = EtcdCluster.startTls(tmp, certs.serverCert, certs.serverKey, certs.caCert)) {
      String https = etcd.endpoints().get(0);
      expectAlone(List.of(
          new Wrong(node("no-ca", https, null), "etcd's certificate is not signed by a CA the JVM trusts; set cluster.etcdTls.ca"),
          new Wrong(node("no-cert", https, "etcdTls: {ca: \"%s\"}".formatted(certs.caCert)),
              "etcd wants a client certificate it trusts: cluster.etcdTls.cert and key"),
          new Wrong(node("foreign-cert", https, "etcdTls: {ca: \"%s\", cert: \"%s\", key: \"%s\"}".formatted(certs.caCert, foreign[0], foreign[1])),
              "etcd wants a client certificate it trusts: cluster.etcdTls.cert and key"),
          new Wrong(node("plain", https.replace("https://", "http://"), null),
              "etcd serves TLS at " + https.substring("https://".length()) + "; use https:// endpoints")));
    }
  }

  /**
   * Certificates renewed in place are read without a restart: a node whose client certificate etcd
   * does not trust serves alone until the files are replaced with ones it does, then joins.
   */
  @Test
  void renewedEtcdTlsFilesAreReadWithoutARestart() throws Exception {
    TestCertificates certs = new TestCertificates(Files.createDirectories(tmp.resolve("certs")));
    Path[] foreign = certs.foreignClient("foreign", "CN=stranger");
    Path[] trusted = certs.client("etcd-client", "CN=hangar");
    Path cert = Files.copy(foreign[0], tmp.resolve("node.pem"));
    Path key = Files.copy(foreign[1], tmp.resolve("node-key.pem"));
    try (EtcdCluster etcd = EtcdCluster.startTls(tmp, certs.serverCert, certs.serverKey, certs.caCert);
        HangarServer node = HangarServer.start(node("renewed", etcd.endpoints().get(0),
            "etcdTls: {ca: \"%s\", cert: \"%s\", key: \"%s\"}".formatted(certs.caCert, cert, key)))) {
      assertThat(node.cluster().membership().problem()).hasValueSatisfying(p ->
          assertThat(p).contains("etcd wants a client certificate it trusts"));
      Files.write(key, Files.readAllBytes(trusted[1])); // the key first: a moment where they do not match is logged and skipped
      Files.write(cert, Files.readAllBytes(trusted[0]));
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!node.cluster().membership().view().etcdReachable()) {
        assertThat(System.nanoTime()).as("joined with the renewed certificate").isLessThan(deadline);
        Thread.sleep(50);
      }
      assertThat(node.cluster().healthNote()).isNull();
    }
  }

  @Test
  void aTlsFileThatCannotBeUsedStopsTheStartWithItsName() throws Exception {
    TestCertificates certs = new TestCertificates(Files.createDirectories(tmp.resolve("certs")));
    Path[] client = certs.client("etcd-client", "CN=hangar");
    Path[] other = certs.client("other", "CN=other");
    Path missing = tmp.resolve("missing-ca.pem");
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("etcdTls: {ca: \"%s\"}".formatted(missing), "cluster.etcdTls.ca " + missing + " does not exist");
    cases.put("etcdTls: {ca: \"%s\", cert: \"%s\", key: \"%s\"}".formatted(certs.caCert, client[0], other[1]),
        "cluster.etcdTls.key " + other[1] + " does not match the certificate in " + client[0] + " (CN=hangar)");
    cases.put("etcdTls: {cert: \"%s\", key: \"%s\"}".formatted(client[0], certs.caCert),
        "cluster.etcdTls.key " + certs.caCert + " holds a CERTIFICATE block, not a private key");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      HangarConfig config = node("n", "https://127.0.0.1:9", c.getKey());
      FailedStart.expect(config, c.getValue());
    }
  }

  @Test
  void etcdUserAuthenticationLetsTheRightUserInAndNamesWhatIsWrong() throws Exception {
    try (EtcdCluster etcd = EtcdCluster.start(tmp, 1)) {
      String url = etcd.endpoints().get(0);
      enableAuth(url);
      List<HangarServer> nodes = new ArrayList<>();
      try {
        for (String id : List.of("a", "b")) {
          nodes.add(HangarServer.start(node(id, url, "etcdUser: hangar\n  etcdPassword: ${PW}", Map.of("PW", "right-password"))));
        }
        awaitMembers(nodes, 2);
      } finally {
        closeAll(nodes);
      }
      expectAlone(List.of(
          new Wrong(node("bad-pw", url, "etcdUser: hangar\n  etcdPassword: wrong-password", Map.of()),
              "etcd refused the login of cluster.etcdUser \"hangar\" (wrong user or password)"),
          new Wrong(node("no-user", url, null), "etcd has authentication enabled; give the node cluster.etcdUser and cluster.etcdPassword"),
          new Wrong(node("no-role", url, "etcdUser: nobody\n  etcdPassword: nobody-password", Map.of()),
              "etcd denied this node's user access to /hangar/hangar/ (grant its role readwrite on that prefix)")));
    }
  }

  /** Root (required to turn authentication on), a user "hangar" whose role may read and write /hangar/, and a user "nobody" without one. */
  private static void enableAuth(String url) throws Exception {
    try (Client c = Client.builder().endpoints(URI.create(url)).build()) {
      var auth = c.getAuthClient();
      auth.roleAdd(bytes("root")).get(10, TimeUnit.SECONDS);
      auth.userAdd(bytes("root"), bytes("root-password")).get(10, TimeUnit.SECONDS);
      auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
      auth.roleAdd(bytes("hangar")).get(10, TimeUnit.SECONDS);
      auth.roleGrantPermission(bytes("hangar"), bytes("/hangar/"), bytes("/hangar0"), Permission.Type.READWRITE).get(10, TimeUnit.SECONDS);
      auth.userAdd(bytes("hangar"), bytes("right-password")).get(10, TimeUnit.SECONDS);
      auth.userGrantRole(bytes("hangar"), bytes("hangar")).get(10, TimeUnit.SECONDS);
      auth.userAdd(bytes("nobody"), bytes("nobody-password")).get(10, TimeUnit.SECONDS);
      auth.authEnable().get(10, TimeUnit.SECONDS);
    }
  }

  /** A node set up wrong, and what it must say about etcd. */
  private record Wrong(HangarConfig config, String why) {}

  /**
   * Starts each node (at once: each waits for etcd before it serves alone) and checks that it serves
   * alone and says why, in {@code problem()}, {@code /ready}'s note and {@code stats}.
   */
  private static void expectAlone(List<Wrong> nodes) throws Exception {
    ExecutorService starts = Executors.newFixedThreadPool(nodes.size());
    List<Future<HangarServer>> started = new ArrayList<>();
    try {
      for (Wrong w : nodes) {
        started.add(starts.submit(() -> HangarServer.start(w.config())));
      }
      for (int i = 0; i < nodes.size(); i++) {
        HangarServer n = started.get(i).get(60, TimeUnit.SECONDS);
        String id = n.cluster().self().id();
        String why = nodes.get(i).why();
        assertThat(n.cluster().membership().view().etcdReachable()).as(id).isFalse();
        assertThat(n.cluster().members()).as(id).extracting(Member::id).containsExactly(id);
        assertThat(n.cluster().membership().problem()).as(id).hasValueSatisfying(p -> assertThat(p).contains(why));
        assertThat(n.cluster().healthNote()).as(id).contains(why);
        assertThat(n.cluster().describe().get("etcdProblem")).as(id).isEqualTo(n.cluster().membership().problem().get());
        assertThat(n.cluster().membership().problem().get()).as(id).doesNotContain("Exception");
      }
    } finally {
      for (Future<HangarServer> f : started) {
        try {
          f.get(60, TimeUnit.SECONDS).close();
        } catch (java.util.concurrent.ExecutionException e) {
          // its failure is reported above
        }
      }
      starts.shutdownNow();
    }
  }

  private static HangarConfig node(String id, String etcd, String extra) {
    return node(id, etcd, extra, Map.of());
  }

  private static HangarConfig node(String id, String etcd, String extra, Map<String, String> env) {
    return HangarConfig.parse("""
        server: {host: 127.0.0.1, port: 0}
        storage: {memory: {capacity: 16MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        cluster:
          nodeId: %s
          etcd: ["%s"]
          token: %s
          leaseTtl: 2s
          %s
        """.formatted(id, etcd, ClusterIT.TOKEN, extra == null ? "" : extra), "etcd security test", env);
  }

  private static void awaitMembers(List<HangarServer> nodes, int members) throws InterruptedException {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!nodes.stream().allMatch(n -> n.cluster().members().size() == members)) {
      assertThat(System.nanoTime()).as(members + " members").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static void closeAll(List<HangarServer> nodes) {
    for (HangarServer n : nodes) {
      n.close();
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
