package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.security.Secrets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** client-examples/python/security against a TLS node with tokens, a password and client certificates. */
class SecurityPyArrowIT {
  @TempDir
  Path dir;

  @Test
  void pyarrowAndPythonAdbcOverTlsWithAuth() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    String t1 = Secrets.newToken();
    String t2 = Secrets.newToken();
    String password = "pa55 w0rd";
    Path[] t2Cert = certs.client("tenant2", "CN=etl-tenant2,O=Example");
    Path[] foreign = certs.foreignClient("foreign", "CN=etl-tenant2,O=Example");
    String yaml = """
        server:
          port: 0
          tls: {cert: "%s", key: "%s", clientCa: "%s", clientAuth: optional}
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        auth:
          principals:
            - {name: tenant1, tokens: ["%s"], grants: [{prefix: "cache/tenant1/", access: write}]}
            - {name: tenant2, tokens: ["%s"], certificate: "O=Example,CN=etl-tenant2", grants: [{prefix: "cache/tenant2/", access: write}]}
            - {name: reader, password: "%s", grants: [{prefix: "cache/tenant1/", access: read}]}
        """.formatted(certs.serverCert, certs.serverKeyPkcs1, certs.caCert, Secrets.tokenHash(t1), Secrets.tokenHash(t2),
        Secrets.passwordHash(password.toCharArray(), 10_000));
    try (HangarServer server = HangarServer.start(HangarConfig.parse(yaml, "test", Map.of()))) {
      String out = PyTest.run(PyTest.ROOT.resolve("client-examples/python/security"), server.port(), Map.of(
          "HANGAR_TLS_URL", "grpc+tls://127.0.0.1:" + server.port(),
          "HANGAR_CA", certs.caCert.toString(),
          "HANGAR_T1_TOKEN", t1, "HANGAR_T2_TOKEN", t2, "HANGAR_READER_PASSWORD", password,
          "HANGAR_T2_CERT", t2Cert[0].toString(), "HANGAR_T2_KEY", t2Cert[1].toString(),
          "HANGAR_FOREIGN_CERT", foreign[0].toString(), "HANGAR_FOREIGN_KEY", foreign[1].toString()));
      assertThat(out).contains("6 passed");
    }
  }
}
