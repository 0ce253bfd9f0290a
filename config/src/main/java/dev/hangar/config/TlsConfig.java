package dev.hangar.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code server.tls}: the node serves {@code grpc+tls} with {@code cert} (a PEM chain, leaf first)
 * and {@code key} (PEM: PKCS#8, or PKCS#1 RSA, which is converted on load). With {@code clientCa},
 * clients present certificates signed by that CA: always ({@code clientAuth: require}, the default
 * when a CA is given) or if they have one ({@code optional}). The files are re-read when they change.
 */
public record TlsConfig(Path cert, Path key, Optional<Path> clientCa, ClientAuth clientAuth) {
  /** Whether clients must present a certificate. */
  public enum ClientAuth { NONE, OPTIONAL, REQUIRE }

  public TlsConfig {
    Checks.check(cert != null && key != null, "server.tls needs cert and key");
    Checks.check(clientCa != null && clientAuth != null, "server.tls.clientCa and clientAuth must not be null");
    Checks.check(clientCa.isPresent() == (clientAuth != ClientAuth.NONE),
        "server.tls.clientAuth %s needs server.tls.clientCa, and a clientCa needs clientAuth require or optional", clientAuth);
  }

  public boolean mutual() {
    return clientAuth != ClientAuth.NONE;
  }
}
