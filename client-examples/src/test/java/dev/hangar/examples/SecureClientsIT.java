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
 * The Flight SQL JDBC driver and the Java ADBC driver against a TLS node with tokens, a password
 * and client certificates: each sees the flights its principal may read, and SQL over another
 * tenant's flight is refused with the path named.
 */
class SecureClientsIT {
  static final String T1 = "cache/tenant1/sales";
  static final String T2 = "cache/tenant2/sales";

  @TempDir
  Path dir;

  @Test
  void jdbcAndAdbcOverTlsWithTokensPasswordsAndCertificates() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    String token = Secrets.newToken();
    String admin = Secrets.newToken();
    String password = "s3cret pass";
    Path[] etl = certs.client("etl", "CN=etl,O=Example");
    String yaml = """
        server:
          port: 0
          tls: {cert: "%s", key: "%s", clientCa: "%s", clientAuth: optional}
        storage: {memory: {capacity: 256MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        auth:
          principals:
            - {name: admin, tokens: ["%s"], grants: [{prefix: "", access: admin}]}
            - {name: tenant1, tokens: ["%s"], password: "%s", certificate: "CN=etl,O=Example",
               grants: [{prefix: "cache/tenant1/", access: write}]}
        """.formatted(certs.serverCert, certs.serverKey, certs.caCert, Secrets.tokenHash(admin), Secrets.tokenHash(token),
        Secrets.passwordHash(password.toCharArray(), 10_000));
    try (BufferAllocator allocator = new RootAllocator();
        HangarServer server = HangarServer.start(HangarConfig.parse(yaml, "test", Map.of()))) {
      put(allocator, server, certs, admin, T1, TestData.wide(2, 100, 1));
      put(allocator, server, certs, admin, T2, TestData.wide(2, 100, 2));
      String base = "jdbc:arrow-flight-sql://127.0.0.1:" + server.port() + "/?useEncryption=true&tlsRootCerts=" + certs.caCert;
      List<String> commands = List.of(
          "query\tSELECT count(*) FROM \"" + T1 + "\"",
          "query\tSELECT count(*) FROM \"" + T2 + "\"",
          "tables\t%");
      for (String url : List.of(base + "&token=" + token, base + "&user=tenant1&password=" + password.replace(" ", "%20"))) {
        List<List<String>> out = JdbcIT.jdbc(url, commands);
        assertThat(out.get(0)).as(url).containsExactly("200");
        assertThat(out.get(1)).hasSize(1);
        assertThat(out.get(1).get(0)).startsWith("ERROR").contains("Principal \"tenant1\" may not read \"" + T2 + "\"");
        assertThat(out.get(2)).containsExactly("memory\tmain\t" + T1 + "\tTABLE"); // tenant2's flight is not listed
      }
      List<List<String>> refused = JdbcIT.jdbc(base + "&token=wrong", List.of("query\tSELECT 1"));
      assertThat(refused.get(0).get(0)).startsWith("ERROR").contains("Unknown or expired bearer token");

      Map<String, Object> tls = new HashMap<>();
      tls.put(AdbcDriver.PARAM_URI.getKey(), "grpc+tls://127.0.0.1:" + server.port());
      tls.put(FlightSqlConnectionProperties.TLS_ROOT_CERTS.getKey(), Files.newInputStream(certs.caCert));
      Map<String, Object> byToken = new HashMap<>(tls);
      byToken.put(FlightSqlConnectionProperties.RPC_CALL_HEADER_PREFIX + "authorization", "Bearer " + token);
      assertAdbcSeesOnlyTenant1(allocator, byToken);
      Map<String, Object> byPassword = new HashMap<>(tls);
      byPassword.put(FlightSqlConnectionProperties.TLS_ROOT_CERTS.getKey(), Files.newInputStream(certs.caCert));
      byPassword.put(AdbcDriver.PARAM_USERNAME.getKey(), "tenant1");
      byPassword.put(AdbcDriver.PARAM_PASSWORD.getKey(), password);
      assertAdbcSeesOnlyTenant1(allocator, byPassword);
      Map<String, Object> byCertificate = new HashMap<>(tls);
      byCertificate.put(FlightSqlConnectionProperties.TLS_ROOT_CERTS.getKey(), Files.newInputStream(certs.caCert));
      byCertificate.put(FlightSqlConnectionProperties.MTLS_CERT_CHAIN.getKey(), Files.newInputStream(etl[0]));
      byCertificate.put(FlightSqlConnectionProperties.MTLS_PRIVATE_KEY.getKey(), Files.newInputStream(etl[1]));
      assertAdbcSeesOnlyTenant1(allocator, byCertificate);
    }
  }

  private static void assertAdbcSeesOnlyTenant1(BufferAllocator allocator, Map<String, Object> params) throws Exception {
    try (AdbcDatabase db = new FlightSqlDriver(allocator).open(params); AdbcConnection conn = db.connect()) {
      assertThat(AdbcIT.query(conn, "SELECT count(*) FROM \"" + T1 + "\"")).containsExactly("200");
      assertThatThrownBy(() -> AdbcIT.query(conn, "SELECT count(*) FROM \"" + T2 + "\""))
          .isInstanceOf(AdbcException.class)
          .hasMessageContaining("Principal \"tenant1\" may not read \"" + T2 + "\": no read grant covers that path");
    }
  }

  private static void put(BufferAllocator allocator, HangarServer server, TestCertificates certs, String token, String path,
      TestData.Batches data) throws Exception {
    try (InputStream ca = Files.newInputStream(certs.caCert);
        FlightClient client = FlightClient.builder(allocator, server.location()).useTls().trustedCertificates(ca).build();
        VectorSchemaRoot root = VectorSchemaRoot.create(data.schema(), allocator)) {
      SyncPutListener results = new SyncPutListener();
      FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path(path), root, results,
          new CredentialCallOption(new BearerCredentialWriter(token)));
      for (int i = 0; i < data.count(); i++) {
        data.fill(root, i);
        put.putNext();
      }
      put.completed();
      put.getResult();
      results.read().close();
    }
  }
}
