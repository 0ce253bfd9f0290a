package dev.hangar.server;

import static dev.hangar.server.FlightRpcIT.assertFlightError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.config.ConfigException;
import dev.hangar.config.HangarConfig;
import dev.hangar.server.security.Secrets;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableExistsOption;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS, authentication and authorization with the Arrow Java client over loopback: certificates the
 * test makes itself, principals with tokens, passwords and client certificates, and grants by prefix.
 */
class SecurityIT {
  static final String ADMIN_TOKEN = Secrets.newToken();
  static final String TENANT1_TOKEN = Secrets.newToken();
  static final String TENANT2_TOKEN = Secrets.newToken();
  static final String READER_PASSWORD = "correct horse battery staple";
  /** Fewer iterations than hash-secret's 600,000 so that the suite stays fast; the config allows >= 10,000. */
  static final String READER_HASH = Secrets.passwordHash(READER_PASSWORD.toCharArray(), 10_000);

  @TempDir
  Path dir;
  TestCertificates certs;
  BufferAllocator allocator;
  final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    certs = new TestCertificates(dir);
    allocator = new RootAllocator();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    allocator.close();
  }

  /** A TLS node with mutual TLS optional and four principals. */
  String yaml(String extraTls) {
    return """
        server:
          host: 127.0.0.1
          port: 0
          tls: {cert: "%s", key: "%s", clientCa: "%s", clientAuth: optional%s}
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        auth:
          maxSessions: 2
          principals:
            - {name: admin, tokens: ["%s"], grants: [{prefix: "", access: admin}]}
            - {name: tenant1, tokens: ["%s"], grants: [{prefix: "cache/tenant1/", access: write}, {prefix: "shared/", access: read}]}
            - {name: tenant2, tokens: ["%s"], certificate: "CN=etl-tenant2, O=Example",
               grants: [{prefix: "cache/tenant2/", access: write}, {prefix: "shared/", access: read}]}
            - {name: reader, password: "%s", grants: [{prefix: "cache/tenant1/", access: read}]}
        """.formatted(certs.serverCert, certs.serverKey, certs.caCert, extraTls, Secrets.tokenHash(ADMIN_TOKEN),
        Secrets.tokenHash(TENANT1_TOKEN), Secrets.tokenHash(TENANT2_TOKEN), READER_HASH);
  }

  HangarServer start(String yaml) throws Exception {
    HangarServer s = HangarServer.start(HangarConfig.parse(yaml, "test", Map.of()));
    open.add(() -> s.close(java.time.Duration.ofSeconds(5)));
    return s;
  }

  FlightClient client(HangarServer s) throws Exception {
    try (InputStream ca = Files.newInputStream(certs.caCert)) {
      FlightClient c = FlightClient.builder(allocator, s.location()).useTls().trustedCertificates(ca).build();
      open.add(c);
      return c;
    }
  }

  FlightClient clientWithCertificate(HangarServer s, Path[] certAndKey) throws Exception {
    try (InputStream ca = Files.newInputStream(certs.caCert); InputStream cert = Files.newInputStream(certAndKey[0]);
        InputStream key = Files.newInputStream(certAndKey[1])) {
      FlightClient c = FlightClient.builder(allocator, s.location()).useTls().trustedCertificates(ca).clientCertificate(cert, key).build();
      open.add(c);
      return c;
    }
  }

  static CallOption bearer(String token) {
    return new CredentialCallOption(new BearerCredentialWriter(token));
  }

  void put(FlightClient c, String path, CallOption... options) throws Exception {
    TestData.Batches data = TestData.narrow(1, 10, 7);
    try (VectorSchemaRoot root = VectorSchemaRoot.create(data.schema(), allocator)) {
      SyncPutListener results = new SyncPutListener();
      FlightClient.ClientStreamListener l = c.startPut(FlightDescriptor.path(path), root, results, options);
      data.fill(root, 0);
      l.putNext();
      l.completed();
      l.getResult();
      results.read().close();
    }
  }

  long rows(FlightClient c, String path, CallOption... options) throws Exception {
    long n = 0;
    try (FlightStream s = c.getStream(new Ticket(path.getBytes(StandardCharsets.UTF_8)), options)) {
      while (s.next()) {
        n += s.getRoot().getRowCount();
      }
    }
    return n;
  }

  static List<String> list(FlightClient c, String prefix, CallOption... options) {
    List<String> out = new ArrayList<>();
    c.listFlights(new Criteria(prefix.getBytes(StandardCharsets.UTF_8)), options)
        .forEach(i -> out.add(String.join("/", i.getDescriptor().getPath())));
    return out;
  }

  static JsonNode action(FlightClient c, String type, String body, CallOption... options) throws Exception {
    Iterator<Result> r = c.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)), options);
    return Hangar.JSON.readTree(r.next().getBody());
  }

  @Test
  void tokensAndGrantsDecideWhatEachTenantSeesAndTouches() throws Exception {
    HangarServer s = start(yaml(""));
    assertThat(s.location().getUri().getScheme()).isEqualTo("grpc+tls");
    FlightClient c = client(s);
    CallOption t1 = bearer(TENANT1_TOKEN);
    CallOption t2 = bearer(TENANT2_TOKEN);
    CallOption admin = bearer(ADMIN_TOKEN);
    put(c, "cache/tenant1/a", t1);
    put(c, "cache/tenant2/b", t2);
    put(c, "shared/x", admin);

    assertThat(rows(c, "cache/tenant1/a", t1)).isEqualTo(10);
    assertThat(list(c, "", t1)).containsExactly("cache/tenant1/a", "shared/x");
    assertThat(list(c, "cache/", t2)).containsExactly("cache/tenant2/b");
    assertThat(list(c, "", admin)).containsExactly("cache/tenant1/a", "cache/tenant2/b", "shared/x");

    // reads, writes, infos and actions outside the grants: UNAUTHORIZED, and nothing changes
    String denied = "Principal \"tenant1\" may not read \"cache/tenant2/b\": no read grant covers that path";
    assertFlightError(() -> rows(c, "cache/tenant2/b", t1), FlightStatusCode.UNAUTHORIZED, denied);
    assertFlightError(() -> c.getInfo(FlightDescriptor.path("cache/tenant2/b"), t1), FlightStatusCode.UNAUTHORIZED, denied);
    assertFlightError(() -> c.getSchema(FlightDescriptor.path("cache/tenant2/b"), t1), FlightStatusCode.UNAUTHORIZED, denied);
    assertFlightError(() -> action(c, "describe", "cache/tenant2/b", t1), FlightStatusCode.UNAUTHORIZED, denied);
    // a path that does not exist answers the same: a refusal tells nothing about what is there
    assertFlightError(() -> rows(c, "cache/tenant2/none", t1), FlightStatusCode.UNAUTHORIZED,
        "Principal \"tenant1\" may not read \"cache/tenant2/none\": no read grant covers that path");
    assertFlightError(() -> put(c, "cache/tenant2/b", t1), FlightStatusCode.UNAUTHORIZED,
        "Principal \"tenant1\" may not write \"cache/tenant2/b\": no write grant covers that path");
    assertFlightError(() -> put(c, "shared/x", t1), FlightStatusCode.UNAUTHORIZED,
        "Principal \"tenant1\" may not write \"shared/x\": no write grant covers that path");
    // a Flight SQL bulk ingestion is a put of its table's path, under the same grants
    try (org.apache.arrow.vector.VectorSchemaRoot three = org.apache.arrow.vector.VectorSchemaRoot.create(TestData.NARROW, allocator)) {
      TestData.narrow(1, 3, 1).fill(three, 0);
      org.apache.arrow.flight.sql.FlightSqlClient sql = new org.apache.arrow.flight.sql.FlightSqlClient(c); // not closed: c is the test's
      TableDefinitionOptions replace = TableDefinitionOptions.newBuilder().setIfNotExist(TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE)
          .setIfExists(TableExistsOption.TABLE_EXISTS_OPTION_REPLACE).build();
      assertFlightError(() -> sql.executeIngest(three, new org.apache.arrow.flight.sql.FlightSqlClient.ExecuteIngestOptions(
              "cache/tenant2/b", replace, null, null, java.util.Map.of()), t1), FlightStatusCode.UNAUTHORIZED,
          "Principal \"tenant1\" may not write \"cache/tenant2/b\": no write grant covers that path");
      assertThat(rows(c, "cache/tenant2/b", t2)).isEqualTo(10);
      assertThat(sql.executeIngest(three, new org.apache.arrow.flight.sql.FlightSqlClient.ExecuteIngestOptions(
          "cache/tenant1/a", replace, null, null, java.util.Map.of()), t1)).isEqualTo(3);
      assertThat(rows(c, "cache/tenant1/a", t1)).isEqualTo(3);
    }
    assertFlightError(() -> action(c, "delete", "cache/tenant2/b", t1), FlightStatusCode.UNAUTHORIZED,
        "Principal \"tenant1\" may not write \"cache/tenant2/b\": no write grant covers that path");
    assertFlightError(() -> action(c, "delete-prefix", "cache/", t1), FlightStatusCode.UNAUTHORIZED,
        "Principal \"tenant1\" may not delete under \"cache/\": that prefix is wider than its write grants (name a prefix inside one of them)");
    assertFlightError(() -> action(c, "stats", "", t1), FlightStatusCode.UNAUTHORIZED,
        "Principal \"tenant1\" may not read the node's stats: it needs an admin grant on every path ({prefix: \"\", access: admin})");
    assertThat(rows(c, "cache/tenant2/b", t2)).isEqualTo(10);
    assertThat(rows(c, "shared/x", t2)).isEqualTo(10);

    assertThat(action(c, "delete-prefix", "cache/tenant1/", t1).get("deleted").asInt()).isEqualTo(1);
    assertThat(action(c, "stats", "", admin).at("/storageTypes/memory/flights").asLong()).isEqualTo(2);
  }

  @Test
  void callsWithoutValidCredentialsAreUnauthenticatedAndSayWhatIsAccepted() throws Exception {
    HangarServer s = start(yaml(""));
    FlightClient c = client(s);
    String schemes = "send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>',"
        + " or connect with a client certificate mapped to a principal";
    assertFlightError(() -> list(c, ""), FlightStatusCode.UNAUTHENTICATED, "Authentication required: " + schemes);
    assertFlightError(() -> rows(c, "x", bearer("not-a-token")), FlightStatusCode.UNAUTHENTICATED,
        "Unknown or expired bearer token; " + schemes);
    CallOption malformed = new org.apache.arrow.flight.HeaderCallOption(headers("authorization", "Digest abc"));
    assertFlightError(() -> list(c, "", malformed), FlightStatusCode.UNAUTHENTICATED,
        "Malformed authorization header: expected Bearer or Basic; " + schemes);
    CallOption badBasic = new org.apache.arrow.flight.HeaderCallOption(headers("authorization", "Basic !!!"));
    assertFlightError(() -> list(c, "", badBasic), FlightStatusCode.UNAUTHENTICATED,
        "Malformed authorization header: Basic needs base64 of user:password; " + schemes);
    assertThat(s.authenticator().failures()).containsEntry("missing", 1L).containsEntry("unknown-token", 1L).containsEntry("malformed", 2L);
  }

  @Test
  void basicAuthGivesABoundedNumberOfSessionTokens() throws Exception {
    HangarServer s = start(yaml(""));
    FlightClient c = client(s);
    put(c, "cache/tenant1/a", bearer(TENANT1_TOKEN));
    CredentialCallOption first = c.authenticateBasicToken("reader", READER_PASSWORD).orElseThrow();
    assertThat(rows(c, "cache/tenant1/a", first)).isEqualTo(10);
    assertFlightError(() -> put(c, "cache/tenant1/b", first), FlightStatusCode.UNAUTHORIZED,
        "Principal \"reader\" may not write \"cache/tenant1/b\": no write grant covers that path");
    CredentialCallOption second = c.authenticateBasicToken("reader", READER_PASSWORD).orElseThrow();
    CredentialCallOption third = c.authenticateBasicToken("reader", READER_PASSWORD).orElseThrow();
    assertThat(rows(c, "cache/tenant1/a", third)).isEqualTo(10);
    assertThat(s.authenticator().sessionCount()).as("auth.maxSessions: 2").isEqualTo(2);
    assertFlightError(() -> rows(c, "cache/tenant1/a", first), FlightStatusCode.UNAUTHENTICATED,
        "Unknown or expired bearer token; send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>',"
            + " or connect with a client certificate mapped to a principal");
    assertThat(rows(c, "cache/tenant1/a", second)).as("the oldest session went, not the others").isEqualTo(10);
    assertFlightError(() -> c.authenticateBasicToken("reader", "wrong"), FlightStatusCode.UNAUTHENTICATED,
        "Wrong user name or password; send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>',"
            + " or connect with a client certificate mapped to a principal");
    assertFlightError(() -> c.authenticateBasicToken("nobody", READER_PASSWORD), FlightStatusCode.UNAUTHENTICATED,
        "Wrong user name or password; send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>',"
            + " or connect with a client certificate mapped to a principal");
  }

  @Test
  void sessionTokensEndWithTheirLifetime() throws Exception {
    HangarServer s = start(yaml("").replace("maxSessions: 2", "maxSessions: 2\n  sessionLifetime: 1s"));
    FlightClient c = client(s);
    CredentialCallOption session = c.authenticateBasicToken("reader", READER_PASSWORD).orElseThrow();
    assertThat(list(c, "", session)).isEmpty();
    Thread.sleep(1200);
    assertFlightError(() -> list(c, "", session), FlightStatusCode.UNAUTHENTICATED,
        "Unknown or expired bearer token; send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>',"
            + " or connect with a client certificate mapped to a principal");
    assertThat(s.authenticator().sessionCount()).isZero();
  }

  @Test
  void repeatedFailuresFromOneAddressAreRefusedForAWhile() throws Exception {
    HangarServer s = start(yaml(""));
    FlightClient c = client(s);
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> c.authenticateBasicToken("reader", "guess")).isInstanceOf(FlightRuntimeException.class);
    }
    // the right password is not even checked now
    assertThatThrownBy(() -> c.authenticateBasicToken("reader", READER_PASSWORD))
        .isInstanceOf(FlightRuntimeException.class)
        .hasMessageContaining("Too many failed authentication attempts from this address; try again in");
    assertThat(s.authenticator().failures()).containsEntry("bad-password", 5L).containsEntry("throttled", 1L);
    Thread.sleep(1100); // the first block is one second
    assertThat(c.authenticateBasicToken("reader", READER_PASSWORD)).isPresent();
  }

  @Test
  void aClientCertificateMappedToAPrincipalAuthenticatesIt() throws Exception {
    HangarServer s = start(yaml(""));
    put(client(s), "cache/tenant2/b", bearer(TENANT2_TOKEN));
    FlightClient mapped = clientWithCertificate(s, certs.client("etl", "CN=etl-tenant2,O=Example"));
    assertThat(rows(mapped, "cache/tenant2/b")).isEqualTo(10);
    assertThat(list(mapped, "")).containsExactly("cache/tenant2/b");
    FlightClient unmapped = clientWithCertificate(s, certs.client("stranger", "CN=stranger"));
    assertFlightError(() -> list(unmapped, ""), FlightStatusCode.UNAUTHENTICATED,
        "Client certificate CN=stranger is not mapped to a principal; send 'authorization: Bearer <token>' or"
            + " 'authorization: Basic <base64 of user:password>', or connect with a client certificate mapped to a principal");
    // a token given with a certificate wins: the header is explicit
    assertThat(list(unmapped, "", bearer(TENANT1_TOKEN))).isEmpty();
  }

  @Test
  void theTlsLayerRefusesPlainTextForeignCertificatesAndUntrustedServers() throws Exception {
    HangarServer s = start(yaml("").replace("clientAuth: optional", "clientAuth: require"));
    FlightClient plain = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", s.port())).build();
    open.add(plain);
    assertThatThrownBy(() -> list(plain, "", bearer(ADMIN_TOKEN))).isInstanceOfSatisfying(FlightRuntimeException.class,
        e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE));
    FlightClient foreign = clientWithCertificate(s, certs.foreignClient("foreign", "CN=etl-tenant2,O=Example"));
    assertThatThrownBy(() -> list(foreign, "")).isInstanceOfSatisfying(FlightRuntimeException.class,
        e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE));
    FlightClient noCertificate = client(s); // clientAuth: require
    assertThatThrownBy(() -> list(noCertificate, "", bearer(ADMIN_TOKEN))).isInstanceOfSatisfying(FlightRuntimeException.class,
        e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE));
    FlightClient trustsNothing = FlightClient.builder(allocator, s.location()).useTls().build(); // the system CAs
    open.add(trustsNothing);
    assertThatThrownBy(() -> list(trustsNothing, "", bearer(ADMIN_TOKEN))).isInstanceOf(FlightRuntimeException.class);
    FlightClient expired = clientWithCertificate(s, certs.expiredClient("expired", "CN=etl-tenant2,O=Example"));
    assertThatThrownBy(() -> list(expired, "")).isInstanceOfSatisfying(FlightRuntimeException.class,
        e -> assertThat(e.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE));
    FlightClient good = clientWithCertificate(s, certs.client("etl", "CN=etl-tenant2,O=Example"));
    assertThat(list(good, "")).isEmpty();
  }

  @Test
  void configuredTokensWorkAcrossRestartsAndARemovedOneStopsWorking() throws Exception {
    String config = yaml("");
    HangarServer first = start(config);
    put(client(first), "cache/tenant1/a", bearer(TENANT1_TOKEN));
    first.close(java.time.Duration.ofSeconds(5));
    HangarServer second = start(config); // same config: the same tokens
    FlightClient c = client(second);
    assertThat(list(c, "", bearer(TENANT1_TOKEN))).isEmpty(); // a memory-only node starts empty, but the token is good
    HangarServer third = start(config.replace(Secrets.tokenHash(TENANT1_TOKEN), Secrets.tokenHash(Secrets.newToken())));
    assertFlightError(() -> list(client(third), "", bearer(TENANT1_TOKEN)), FlightStatusCode.UNAUTHENTICATED,
        "Unknown or expired bearer token; send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>',"
            + " or connect with a client certificate mapped to a principal");
  }

  @Test
  void aPrincipalWithTooManyCallsRunningIsRefusedOthersAreNot() throws Exception {
    HangarServer s = start(yaml("").replace("maxSessions: 2", "maxSessions: 2\n  maxCallsPerPrincipal: 2")
        .replace("capacity: 64MiB", "capacity: 256MiB"));
    FlightClient c = client(s);
    TestData.Batches big = TestData.wide(16, 40_000, 3); // tens of MB: more than gRPC buffers for a client that reads nothing
    try (VectorSchemaRoot root = VectorSchemaRoot.create(big.schema(), allocator)) {
      SyncPutListener results = new SyncPutListener();
      FlightClient.ClientStreamListener l = c.startPut(FlightDescriptor.path("cache/tenant1/big"), root, results, bearer(TENANT1_TOKEN));
      for (int i = 0; i < big.count(); i++) {
        big.fill(root, i);
        l.putNext();
      }
      l.completed();
      l.getResult();
      results.read().close();
    }
    io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", s.port())
        .sslContext(io.grpc.netty.GrpcSslContexts.forClient().trustManager(certs.caCert.toFile()).build()).build();
    try {
      io.grpc.Metadata auth = new io.grpc.Metadata();
      auth.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer " + TENANT1_TOKEN);
      var stub = org.apache.arrow.flight.impl.FlightServiceGrpc.newStub(channel)
          .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(auth));
      List<io.grpc.stub.ClientCallStreamObserver<?>> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) { // two reads that take one message and then wait: two calls running
        stub.doGet(org.apache.arrow.flight.impl.Flight.Ticket.newBuilder()
            .setTicket(com.google.protobuf.ByteString.copyFromUtf8("cache/tenant1/big")).build(), new io.grpc.stub.ClientResponseObserver<
                org.apache.arrow.flight.impl.Flight.Ticket, org.apache.arrow.flight.impl.Flight.FlightData>() {
              @Override
              public void beforeStart(io.grpc.stub.ClientCallStreamObserver<org.apache.arrow.flight.impl.Flight.Ticket> call) {
                call.disableAutoRequestWithInitial(1);
                held.add(call);
              }

              @Override
              public void onNext(org.apache.arrow.flight.impl.Flight.FlightData value) {}

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
      }
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (s.runningCalls() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(s.runningCalls()).isEqualTo(2);
      assertThatThrownBy(() -> list(c, "", bearer(TENANT1_TOKEN))).isInstanceOfSatisfying(FlightRuntimeException.class, e -> {
        assertThat(e.status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED);
        assertThat(e.status().description()).isEqualTo("Principal \"tenant1\" has 2 calls running, the most auth.maxCallsPerPrincipal"
            + " allows; retry when some have finished");
      });
      assertThat(list(c, "", bearer(TENANT2_TOKEN))).isEmpty(); // another principal is not held up
      held.forEach(h -> h.cancel("done", null));
      deadline = System.nanoTime() + 10_000_000_000L;
      while (s.runningCalls() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(list(c, "", bearer(TENANT1_TOKEN))).containsExactly("cache/tenant1/big");
      // a call counts as running until gRPC reports it complete, which may come just after the client saw its answer
      deadline = System.nanoTime() + 10_000_000_000L;
      while (s.authenticator().usage().get("tenant1").get("running") != 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(s.authenticator().usage().get("tenant1")).containsEntry("refused", 1L).containsEntry("running", 0L);
    } finally {
      channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  @Test
  void theOperationsPortSpeaksHttpsAndMetricsNeedANodeAdmin() throws Exception {
    HangarServer s = start(yaml("").replace("  port: 0\n", "  port: 0\n  http: {host: 127.0.0.1, port: 0}\n"));
    java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream ca = Files.newInputStream(certs.caCert)) {
      trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(ca));
    }
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    java.net.http.HttpClient https = java.net.http.HttpClient.newBuilder().sslContext(ctx).build();
    java.util.function.BiFunction<String, String, String> get = (path, token) -> {
      try {
        var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + s.httpPort() + path));
        if (token != null) {
          b.header("Authorization", "Bearer " + token);
        }
        var r = https.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    assertThat(get.apply("/ready", null)).isEqualTo("200 ready\n"); // probes carry no credentials
    assertThat(get.apply("/metrics", null)).isEqualTo("401 Authentication required: send 'Authorization: Bearer <token>' of a node admin\n");
    assertThat(get.apply("/metrics", TENANT1_TOKEN)).isEqualTo("403 Principal \"tenant1\" may not read the node's metrics: it needs an"
        + " admin grant on every path ({prefix: \"\", access: admin})\n");
    assertThat(get.apply("/metrics", ADMIN_TOKEN)).startsWith("200 # HELP");
    assertThatThrownBy(() -> java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + s.httpPort() + "/live")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.io.IOException.class); // plain HTTP against the TLS port
  }

  @Test
  void serveWarnsAboutANodeWithoutAuthBeyondLoopbackOnly() {
    String open = """
        server: {host: 0.0.0.0}
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        """;
    assertThat(HangarServer.openNodeWarning(HangarConfig.parse(open, "t", Map.of()))).contains("Hangar listens on 0.0.0.0 without"
        + " authentication: anyone who can reach the port can read, write and delete every flight. Configure auth (and server.tls)"
        + " before exposing it.");
    assertThat(HangarServer.openNodeWarning(HangarConfig.parse(open.replace("0.0.0.0", "127.0.0.1"), "t", Map.of()))).isEmpty();
    assertThat(HangarServer.openNodeWarning(HangarConfig.parse(yaml("").replace("host: 127.0.0.1", "host: 0.0.0.0"), "t", Map.of()))).isEmpty();
  }

  @Test
  void aPkcs1KeyIsConvertedAndTheFilesAreCheckedWithExactMessages() throws Exception {
    HangarServer s = start(yaml("").replace(certs.serverKey.toString(), certs.serverKeyPkcs1.toString()));
    assertThat(list(client(s), "", bearer(ADMIN_TOKEN))).isEmpty();

    String expired = yaml("").replace(certs.serverCert.toString(), certs.expiredCert.toString())
        .replace(certs.serverKey.toString(), certs.expiredKey.toString());
    assertThatThrownBy(() -> start(expired)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.tls.cert " + certs.expiredCert + ": certificate CN=hangar-expired expired on");
    String mismatched = yaml("").replace(certs.serverKey.toString(), certs.expiredKey.toString());
    assertThatThrownBy(() -> start(mismatched)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.tls.key " + certs.expiredKey + " does not match the certificate in " + certs.serverCert);
    String missing = yaml("").replace(certs.serverKey.toString(), dir.resolve("nope.pem").toString());
    assertThatThrownBy(() -> start(missing)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.tls.key " + dir.resolve("nope.pem") + " does not exist");
    Path ec = dir.resolve("ec.pem");
    Files.writeString(ec, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> start(yaml("").replace(certs.serverKey.toString(), ec.toString()))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("server.tls.key " + ec + " is a SEC1 EC key; convert it to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in " + ec);
  }

  @Test
  void changedCertificateFilesAreUsedWithoutARestart() throws Exception {
    Path cert = dir.resolve("live.pem");
    Path key = dir.resolve("live-key.pem");
    Files.copy(certs.serverCert, cert);
    Files.copy(certs.serverKey, key);
    HangarServer s = start(yaml("").replace(certs.serverCert.toString(), cert.toString()).replace(certs.serverKey.toString(), key.toString()));
    assertThat(peerSubject(s.port())).isEqualTo("CN=hangar-test-server");
    TestCertificates renewed = new TestCertificates(Files.createDirectories(dir.resolve("renewed")));
    // a new CA too: the renewed server certificate is checked only for its own key pair
    Files.copy(renewed.serverKey, key, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(renewed.serverCert, cert, StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(cert, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(10)));
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    X509Certificate now;
    do {
      Thread.sleep(200);
      now = peerCertificate(s.port());
    } while (now.getSerialNumber().equals(certificate(certs.serverCert).getSerialNumber()) && System.nanoTime() < deadline);
    assertThat(now.getSerialNumber()).isEqualTo(certificate(renewed.serverCert).getSerialNumber());
  }

  private static X509Certificate certificate(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static String peerSubject(int port) throws Exception {
    return peerCertificate(port).getSubjectX500Principal().getName();
  }

  /** The certificate a TLS handshake with the port presents, trusting anything (only to look at it). */
  private static X509Certificate peerCertificate(int port) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      javax.net.ssl.SSLParameters p = socket.getSSLParameters();
      p.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(p);
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  private static org.apache.arrow.flight.CallHeaders headers(String name, String value) {
    org.apache.arrow.flight.FlightCallHeaders h = new org.apache.arrow.flight.FlightCallHeaders();
    h.insert(name, value);
    return h;
  }
}
