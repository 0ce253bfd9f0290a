package dev.hangar.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import dev.hangar.server.TestCertificates;
import dev.hangar.server.TestData;
import dev.hangar.server.security.Secrets;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.adbc.core.AdbcConnection;
import org.apache.arrow.adbc.core.AdbcDatabase;
import org.apache.arrow.adbc.core.AdbcDriver;
import org.apache.arrow.adbc.core.AdbcException;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlConnectionProperties;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlDriver;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node on the example secure config ({@code config/examples/secure.yaml}), with certificates and
 * secrets the test makes, serving the Arrow Java client, the Flight SQL JDBC driver, the Java ADBC
 * driver and the pyarrow/Python ADBC example ({@code client-examples/python/secure_client.py}) over
 * TLS, with tokens, a password and a client certificate. Each sees what its principal may read.
 */
class SecureClientsIT {
  static final String T1 = "cache/tenant1/sales";
  static final String T2 = "cache/tenant2/sales";
  static final Path ROOT = Path.of(System.getProperty("hangar.root", "..")).toAbsolutePath().normalize();

  @TempDir
  Path dir;

  @Test
  void theExampleSecureConfigServesJavaJdbcAdbcAndPyarrowClients() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    Files.copy(certs.caCert, dir.resolve("clients-ca.pem")); // one CA signs the server's and the clients' certificates here
    String admin = Secrets.newToken();
    String etl = Secrets.newToken();
    String password = "analyst pass";
    Path[] etlCert = certs.client("etl", "CN=etl,O=Example");
    Map<String, String> env = Map.of("HANGAR_TLS_DIR", dir.toString(), "HANGAR_HOST", "127.0.0.1", "HANGAR_PORT", "0", "HANGAR_HTTP_PORT", "0",
        "HANGAR_ADMIN_TOKEN_HASH", Secrets.tokenHash(admin), "HANGAR_ETL_TOKEN_HASH", Secrets.tokenHash(etl),
        "HANGAR_ANALYST_PASSWORD_HASH", Secrets.passwordHash(password.toCharArray(), 10_000));
    HangarConfig config = HangarConfig.parse(Files.readString(ROOT.resolve("config/examples/secure.yaml")), "secure.yaml", env);
    try (BufferAllocator allocator = new RootAllocator(); HangarServer server = HangarServer.start(config)) {
      put(allocator, server, certs, admin, T1, TestData.wide(2, 100, 1));
      put(allocator, server, certs, admin, T2, TestData.wide(2, 100, 2));
      put(allocator, server, certs, admin, "other/x", TestData.wide(1, 10, 3));

      // Arrow Java: Basic auth exchanged for a session token
      try (InputStream ca = Files.newInputStream(certs.caCert);
          FlightClient client = FlightClient.builder(allocator, server.location()).useTls().trustedCertificates(ca).build()) {
        CredentialCallOption session = client.authenticateBasicToken("analyst", password).orElseThrow();
        List<String> listed = new java.util.ArrayList<>();
        client.listFlights(org.apache.arrow.flight.Criteria.ALL, session).forEach(i -> listed.add(i.getDescriptor().getPath().get(0)));
        assertThat(listed).containsExactly(T1);
      }

      // JDBC: user/password, then a token
      String base = "jdbc:arrow-flight-sql://127.0.0.1:" + server.port() + "/?useEncryption=true&tlsRootCerts=" + certs.caCert;
      List<String> commands = List.of("query\tSELECT count(*) FROM \"" + T1 + "\"", "query\tSELECT count(*) FROM \"" + T2 + "\"", "tables\t%");
      List<List<String>> analyst = JdbcIT.jdbc(base + "&user=analyst&password=" + password.replace(" ", "%20"), commands);
      assertThat(analyst.get(0)).containsExactly("200");
      assertThat(analyst.get(1).get(0)).startsWith("ERROR").contains("Principal \"analyst\" may not read \"" + T2 + "\"");
      assertThat(analyst.get(2)).containsExactly("memory\tmain\t" + T1 + "\tTABLE");
      List<List<String>> byToken = JdbcIT.jdbc(base + "&token=" + etl, commands);
      assertThat(byToken.get(0)).containsExactly("200");
      assertThat(byToken.get(1)).containsExactly("200");
      assertThat(byToken.get(2)).containsExactly("memory\tmain\t" + T1 + "\tTABLE", "memory\tmain\t" + T2 + "\tTABLE");
      assertThat(JdbcIT.jdbc(base + "&token=wrong", List.of("query\tSELECT 1")).get(0).get(0))
          .startsWith("ERROR").contains("Unknown or expired bearer token");

      // Java ADBC: a password, a client certificate, a bearer header
      Map<String, Object> byPassword = adbcTls(server, certs);
      byPassword.put(AdbcDriver.PARAM_USERNAME.getKey(), "analyst");
      byPassword.put(AdbcDriver.PARAM_PASSWORD.getKey(), password);
      assertAdbc(allocator, byPassword, "analyst", false);
      Map<String, Object> byCertificate = adbcTls(server, certs);
      byCertificate.put(FlightSqlConnectionProperties.MTLS_CERT_CHAIN.getKey(), Files.newInputStream(etlCert[0]));
      byCertificate.put(FlightSqlConnectionProperties.MTLS_PRIVATE_KEY.getKey(), Files.newInputStream(etlCert[1]));
      assertAdbc(allocator, byCertificate, "etl", true);
      Map<String, Object> byToken2 = adbcTls(server, certs);
      byToken2.put(FlightSqlConnectionProperties.RPC_CALL_HEADER_PREFIX + "authorization", "Bearer " + admin);
      assertAdbc(allocator, byToken2, "admin", true);

      // Arrow Java and Java ADBC, from the example client
      assertThat(javaExample(server, certs, T2, "password", "analyst", password)).containsExactly("listed " + T1,
          "refused Principal \"analyst\" may not read \"" + T2 + "\": no read grant covers that path",
          "refused Principal \"analyst\" may not read \"" + T2 + "\": no read grant covers that path");
      assertThat(javaExample(server, certs, T2, "token", etl)).containsExactly("listed " + T1, "listed " + T2, "rows 200", "sql 200");

      // pyarrow and Python ADBC, from the example client
      String url = "grpc+tls://127.0.0.1:" + server.port();
      assertThat(python(url, certs.caCert, T2, "--user", "analyst", "--password", password))
          .containsExactly("listed " + T1, "refused Flight returned unauthorized error, with message: Principal \"analyst\" may not read \""
              + T2 + "\": no read grant covers that path", "refused UNAUTHORIZED: [FlightSQL] Principal \"analyst\" may not read \""
              + T2 + "\": no read grant covers that path (PermissionDenied; Prepare). Vendor code: 7");
      assertThat(python(url, certs.caCert, T2, "--token", etl)).containsExactly("listed " + T1, "listed " + T2, "rows 200", "sql 200");
      assertThat(python(url, certs.caCert, T1, "--cert", etlCert[0].toString(), "--key", etlCert[1].toString()))
          .containsExactly("listed " + T1, "listed " + T2, "rows 200", "sql 200");
    }
  }

  private static List<String> javaExample(HangarServer server, TestCertificates certs, String path, String... credentials) throws Exception {
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    List<String> args = new java.util.ArrayList<>(List.of("127.0.0.1", String.valueOf(server.port()), certs.caCert.toString(), path));
    args.addAll(List.of(credentials));
    try {
      System.setOut(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
      SecureJavaClient.main(args.toArray(String[]::new));
    } finally {
      System.setOut(stdout);
    }
    return captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
  }

  private static List<String> python(String url, Path ca, String path, String... credentials) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(url, ca.toString(), path));
    args.addAll(List.of(credentials));
    Path python = Path.of(System.getProperty("hangar.python", ROOT.resolve(".venv/bin/python").toString()));
    List<String> command = new java.util.ArrayList<>(List.of(python.toString(), ROOT.resolve("client-examples/python/secure_client.py").toString()));
    command.addAll(args);
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out.lines().toList();
  }

  private static Map<String, Object> adbcTls(HangarServer server, TestCertificates certs) throws java.io.IOException {
    Map<String, Object> params = new HashMap<>();
    params.put(AdbcDriver.PARAM_URI.getKey(), "grpc+tls://127.0.0.1:" + server.port());
    params.put(FlightSqlConnectionProperties.TLS_ROOT_CERTS.getKey(), Files.newInputStream(certs.caCert));
    return params;
  }

  private static void assertAdbc(BufferAllocator allocator, Map<String, Object> params, String principal, boolean readsT2) throws Exception {
    try (AdbcDatabase db = new FlightSqlDriver(allocator).open(params); AdbcConnection conn = db.connect()) {
      assertThat(AdbcIT.query(conn, "SELECT count(*) FROM \"" + T1 + "\"")).containsExactly("200");
      if (readsT2) {
        assertThat(AdbcIT.query(conn, "SELECT count(*) FROM \"" + T2 + "\"")).containsExactly("200");
      } else {
        assertThatThrownBy(() -> AdbcIT.query(conn, "SELECT count(*) FROM \"" + T2 + "\""))
            .isInstanceOf(AdbcException.class)
            .hasMessageContaining("Principal \"" + principal + "\" may not read \"" + T2 + "\": no read grant covers that path");
      }
    }
  }

  private static void put(BufferAllocator allocator, HangarServer server, TestCertificates certs, String token, String path,
      TestData.Batches data) throws Exception {
    try (InputStream ca = Files.newInputStream(certs.caCert);
        FlightClient client = FlightClient.builder(allocator, server.location()).useTls().trustedCertificates(ca).build()) {
      TestData.put(client, allocator, path, data, new CredentialCallOption(new BearerCredentialWriter(token)));
    }
  }
}
