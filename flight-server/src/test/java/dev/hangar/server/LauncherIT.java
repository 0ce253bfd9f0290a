package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ./hangar launcher as a user runs it: check-config, refusals, serve and SIGTERM. */
class LauncherIT {
  private static final Path ROOT = Path.of(System.getProperty("hangar.root", "..")).toAbsolutePath().normalize();

  @TempDir Path tmp;

  /** Runs the launcher to completion; returns exit code and combined output. */
  private static Result run(Map<String, String> env, String... args) throws Exception {
    Process p = start(env, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  private static Process start(Map<String, String> env, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("hangar").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("HANGAR_NO_BUILD", "1");
    pb.environment().put("HANGAR_HEAP", "256m");
    pb.environment().putAll(env);
    return pb.start();
  }

  record Result(int code, String output) {}

  @Test
  void checkConfigAcceptsTheExamples() throws Exception {
    Result r = run(Map.of(), "check-config", "config/examples/hangar-full.yaml");
    assertThat(r.code()).as(r.output()).isZero();
    assertThat(r.output()).contains("config/examples/hangar-full.yaml is valid: 3 storage class(es), 2 durable store(s), 3 limit polic(ies)")
        .contains("limitPolicies[2]: hierarchical over [cache/]")
        .doesNotContain("Note:");
    Result durable = run(Map.of(), "check-config", "config/examples/durable.yaml");
    assertThat(durable.code()).as(durable.output()).isZero();
    assertThat(durable.output()).contains("3 storage class(es), 2 durable store(s)").doesNotContain("Note:");
    Result limits = run(Map.of(), "check-config", "config/examples/limits.yaml");
    assertThat(limits.code()).as(limits.output()).isZero();
    assertThat(limits.output()).contains("2 storage class(es), 1 durable store(s), 2 limit polic(ies)")
        .contains("limitPolicies[0]: hierarchical over [tenants/]").contains("limitPolicies[1]: segmented over [cache/]")
        .doesNotContain("Note:");
    Result minimal = run(Map.of(), "check-config", "config/examples/memory-only.yaml");
    assertThat(minimal.code()).isZero();
    assertThat(minimal.output()).doesNotContain("Note:");
  }

  @Test
  void checkConfigDescribesTheClusterAndChecksItsEtcdTlsFiles() throws Exception {
    TestCertificates certs = new TestCertificates(Files.createDirectories(tmp.resolve("certs")));
    Path[] client = certs.client("etcd-client", "CN=hangar");
    String yaml = """
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        cluster:
          nodeId: a
          etcd: [https://127.0.0.1:2379]
          token: 0123456789abcdef
          etcdTls: {ca: "%s", cert: "%s", key: "%s"}
          etcdUser: hangar
          etcdPassword: ${ETCD_PW}
        """;
    Path good = Files.writeString(tmp.resolve("cluster.yaml"), yaml.formatted(certs.caCert, client[0], client[1]));
    Result r = run(Map.of("ETCD_PW", "pw"), "check-config", good.toString());
    assertThat(r.code()).as(r.output()).isZero();
    assertThat(r.output()).contains("cluster: node a of \"hangar\", etcd https://127.0.0.1:2379 over TLS (trusting the CA in "
        + certs.caCert + ", client certificate " + client[0] + "), as etcd user hangar");
    Path missing = tmp.resolve("no-such-key.pem");
    Path bad = Files.writeString(tmp.resolve("bad-cluster.yaml"), yaml.formatted(certs.caCert, client[0], missing));
    Result b = run(Map.of("ETCD_PW", "pw"), "check-config", bad.toString());
    assertThat(b.code()).isEqualTo(1);
    assertThat(b.output()).contains(bad + ": etcd TLS files cannot be used:", "cluster.etcdTls.key " + missing + " does not exist")
        .doesNotContain("Exception");
  }

  @Test
  void checkConfigPrintsEveryErrorAndFails() throws Exception {
    Path bad = tmp.resolve("bad.yaml");
    Files.writeString(bad, """
        storage: {memory: {capacity: 1GiB}}
        storageClasses:
          - prefix: ""
            tires: [{storage: memory}]
          - prefix: cache/
            tiers: [{storage: memory, maxFlightSize: 12XB}]
        """);
    Result r = run(Map.of(), "check-config", bad.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.output()).contains("Cannot use config " + bad + ": 3 errors")
        .contains("storageClasses[0].tires: is not a known key (did you mean tiers?")
        .contains("storageClasses[0].tiers: is required")
        .contains("storageClasses[1].tiers[0].maxFlightSize: \"12XB\" is not a size");
    Result missing = run(Map.of(), "check-config", tmp.resolve("nope.yaml").toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.output()).contains("nope.yaml: 1 error").contains("file not found");
    assertThat(run(Map.of(), "frobnicate").code()).isEqualTo(2);
  }

  @Test
  void serveRefusesWhatItCannotHonour() throws Exception {
    Path replicas = tmp.resolve("replicas.yaml");
    Files.writeString(replicas, """
        storage: {memory: {capacity: 64MiB}}
        storageClasses:
          - {prefix: "", replicas: 2, tiers: [{storage: memory}]}
        """);
    Result r = run(Map.of(), "serve", "--config", replicas.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.output()).contains("storageClasses[0].replicas: 2 copies need a cluster (add a cluster: section with etcd and the other nodes, or use replicas: 1)");
    Result small = run(Map.of("HANGAR_MAX_DIRECT_MEMORY", "512m", "HANGAR_PORT", "0"), "serve");
    assertThat(small.code()).isEqualTo(1);
    assertThat(small.output()).contains("storage.memory.capacity: 1GiB does not fit the JVM's direct memory limit of 512MiB");
  }

  @Test
  void serveRunsTheTieredExampleWithAllThreeStorageTypes() throws Exception {
    Path data = tmp.resolve("data");
    Result check = run(Map.of(), "check-config", "config/examples/tiered.yaml");
    assertThat(check.code()).as(check.output()).isZero();
    assertThat(check.output()).doesNotContain("Note:");
    Path log = tmp.resolve("tiered.log");
    ProcessBuilder pb = new ProcessBuilder(List.of(ROOT.resolve("hangar").toString(), "serve", "--config", "config/examples/tiered.yaml"))
        .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(Map.of("HANGAR_NO_BUILD", "1", "HANGAR_HEAP", "256m", "HANGAR_PORT", "0", "HANGAR_HTTP_PORT", "0",
        "HANGAR_MEMORY", "64MiB", "HANGAR_DATA", data.toString()));
    Process p = pb.start();
    try {
      int port = awaitPort(p, log, Pattern.compile("Hangar listening on grpc://127\\.0\\.0\\.1:(\\d+) \\(config/examples/tiered.yaml; memory 64MiB, disk_mapped 8GiB, disk 32GiB"));
      try (RootAllocator allocator = new RootAllocator();
          FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
        // 300MiB announced: over dash/'s 256MiB memory limit, so it starts in disk_mapped
        org.apache.arrow.flight.CallHeaders headers = new org.apache.arrow.flight.FlightCallHeaders();
        headers.insert("x-hangar-flight-size", Long.toString(300L << 20));
        TestData.Batches batches = TestData.wide(3, 1000, 7);
        try (org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.create(batches.schema(), allocator);
            org.apache.arrow.flight.SyncPutListener results = new org.apache.arrow.flight.SyncPutListener()) {
          FlightClient.ClientStreamListener put = client.startPut(org.apache.arrow.flight.FlightDescriptor.path("dash/big"), root, results,
              new org.apache.arrow.flight.HeaderCallOption(headers));
          for (int i = 0; i < batches.count(); i++) {
            batches.fill(root, i);
            put.putNext();
          }
          put.completed();
          put.getResult();
        }
        var describe = client.doAction(new org.apache.arrow.flight.Action("describe", "dash/big".getBytes(StandardCharsets.UTF_8)));
        String json = new String(describe.next().getBody(), StandardCharsets.UTF_8);
        assertThat(json).contains("\"tier\" : \"disk_mapped\"");
        List<String> read = new ArrayList<>();
        try (org.apache.arrow.flight.FlightStream s = client.getStream(new org.apache.arrow.flight.Ticket("dash/big".getBytes(StandardCharsets.UTF_8)))) {
          while (s.next()) {
            read.add(s.getRoot().contentToTSVString());
          }
        }
        assertThat(read).isEqualTo(batches.expected(allocator));
      }
      try (var files = Files.list(data.resolve("mapped"))) {
        assertThat(files.toList()).hasSize(1);
      }
      p.destroy();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readString(log)).contains("Hangar stopped cleanly");
      try (var files = Files.list(data.resolve("mapped"))) {
        assertThat(files.toList()).as("flights freed at shutdown").isEmpty();
      }
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void checkConfigValidatesTheSecureExampleAndItsTlsFiles() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(Map.of("HANGAR_TLS_DIR", tmp.toString(),
        "HANGAR_ADMIN_TOKEN_HASH", dev.hangar.server.security.Secrets.tokenHash("a"),
        "HANGAR_ETL_TOKEN_HASH", dev.hangar.server.security.Secrets.tokenHash("b"),
        "HANGAR_ANALYST_PASSWORD_HASH", dev.hangar.server.security.Secrets.passwordHash("c".toCharArray(), 10_000)));
    Result missing = run(env, "check-config", "config/examples/secure.yaml");
    assertThat(missing.code()).as(missing.output()).isEqualTo(1);
    assertThat(missing.output()).contains("config/examples/secure.yaml: TLS files cannot be used:",
        "  server.tls.cert " + tmp.resolve("server.pem") + " does not exist",
        "  server.tls.clientCa " + tmp.resolve("clients-ca.pem") + " does not exist");
    TestCertificates certs = new TestCertificates(tmp);
    Files.copy(certs.caCert, tmp.resolve("clients-ca.pem"));
    Result ok = run(env, "check-config", "config/examples/secure.yaml");
    assertThat(ok.code()).as(ok.output()).isZero();
    assertThat(ok.output()).contains("security: TLS with optional client certificates; auth: 3 principal(s) [admin, etl, analyst]");
    Files.copy(certs.expiredKey, tmp.resolve("server-key.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Result mismatch = run(env, "check-config", "config/examples/secure.yaml");
    assertThat(mismatch.code()).isEqualTo(1);
    assertThat(mismatch.output()).contains("server.tls.key " + tmp.resolve("server-key.pem") + " does not match the certificate in "
        + tmp.resolve("server.pem"));
  }

  @Test
  void hashSecretPrintsHashesThatTheServerAccepts() throws Exception {
    Process p = start(Map.of(), "hash-secret");
    p.getOutputStream().write("s3cret pass\n".getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String hash = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("pbkdf2-sha256:600000:")).findFirst().orElseThrow();
    assertThat(p.waitFor()).isZero();
    assertThat(dev.hangar.server.security.Secrets.passwordMatches(hash, "s3cret pass".toCharArray())).isTrue();
    assertThat(dev.hangar.server.security.Secrets.passwordMatches(hash, "s3cret pas".toCharArray())).isFalse();
    Result token = run(Map.of(), "hash-secret", "--new-token");
    Matcher m = Pattern.compile("token \\(give this to the client, once\\): (\\S+)\\nhash \\(put this in auth.principals\\[\\]\\.tokens\\): (sha256:[0-9a-f]{64})")
        .matcher(token.output());
    assertThat(m.find()).as(token.output()).isTrue();
    assertThat(dev.hangar.server.security.Secrets.tokenHash(m.group(1))).isEqualTo(m.group(2));
    Process empty = start(Map.of(), "hash-secret", "--token");
    empty.getOutputStream().close();
    assertThat(new String(empty.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .contains("hash-secret: no token given (type it at the prompt, or pipe it in on one line)");
    assertThat(empty.waitFor()).isEqualTo(1);
  }

  /** Waits until the server's log announces its port (the first group of {@code listening}). */
  static int awaitPort(Process p, Path log, Pattern listening) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (p.isAlive() && System.nanoTime() < deadline) {
      Matcher m = listening.matcher(Files.readString(log));
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the server did not announce its port:\n" + Files.readString(log));
  }

  @Test
  void serveStartsOnTheDefaultConfigAndStopsCleanlyOnSigterm() throws Exception {
    Path log = tmp.resolve("serve.log");
    List<String> cmd = List.of(ROOT.resolve("hangar").toString(), "serve");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(Map.of("HANGAR_NO_BUILD", "1", "HANGAR_HEAP", "256m", "HANGAR_PORT", "0", "HANGAR_MEMORY", "64MiB"));
    Process p = pb.start();
    try {
      Pattern listening = Pattern.compile("Hangar listening on grpc://127\\.0\\.0\\.1:(\\d+) \\(embedded default config; memory 64MiB");
      int port = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (port < 0 && p.isAlive() && System.nanoTime() < deadline) {
        Matcher m = listening.matcher(Files.readString(log));
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        } else {
          Thread.sleep(100);
        }
      }
      assertThat(port).as("the server announced its port:%n%s", Files.readString(log)).isPositive();
      try (RootAllocator allocator = new RootAllocator();
          FlightClient client = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
        List<String> actions = new java.util.ArrayList<>();
        client.listActions().forEach(a -> actions.add(a.getType()));
        assertThat(actions).contains("delete", "stats", "query-to-flight", "CreatePreparedStatement");
      }
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String output = Files.readString(log);
      assertThat(p.exitValue()).as("JVM exit after SIGTERM:%n%s", output).isIn(0, 143);
      assertThat(output).contains("Shutting down").contains("Hangar stopped cleanly");
    } finally {
      p.destroyForcibly();
    }
  }
}
