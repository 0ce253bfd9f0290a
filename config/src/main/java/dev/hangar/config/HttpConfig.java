package dev.hangar.config;

/**
 * {@code server.http}: the operations port. It serves Prometheus metrics ({@code /metrics}) and
 * health ({@code /live}, {@code /ready}). It is off when absent. It speaks HTTPS when
 * {@code server.tls} is set, and {@code /metrics} then needs a node admin's credentials when
 * {@code auth} is set.
 */
public record HttpConfig(String host, int port) {
  public HttpConfig {
    Checks.check(host != null && !host.isBlank(), "server.http.host must not be empty");
    Checks.check(port >= 0 && port <= 65535, "server.http.port must be 0..65535, got %s", port);
  }
}
