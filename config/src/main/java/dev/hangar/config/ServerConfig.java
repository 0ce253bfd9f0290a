package dev.hangar.config;

/**
 * Where the Flight endpoint listens, whether it speaks TLS ({@code tls}), the largest message it
 * takes ({@code maxMessageSize}, 256MiB unless set), and how long a put's
 * {@code x-hangar-idempotency-key} is remembered ({@code idempotencyWindow}, 24 hours unless set).
 */
public record ServerConfig(String host, int port, java.time.Duration idempotencyWindow, java.util.Optional<TlsConfig> tls,
    long maxMessageSize, java.util.Optional<HttpConfig> http) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8815;
  public static final java.time.Duration DEFAULT_IDEMPOTENCY_WINDOW = java.time.Duration.ofHours(24);
  /** The largest gRPC message (one FlightData: one record batch) the node accepts; a bigger one is RESOURCE_EXHAUSTED. */
  public static final long DEFAULT_MAX_MESSAGE_SIZE = 256L << 20;

  public ServerConfig {
    Checks.check(host != null && !host.isBlank(), "server.host must not be empty");
    Checks.check(port >= 0 && port <= 65535, "server.port must be 0..65535, got %s", port);
    Checks.check(idempotencyWindow != null && idempotencyWindow.toMillis() > 0, "server.idempotencyWindow must be positive");
    Checks.check(tls != null, "server.tls must not be null (use Optional.empty())");
    Checks.check(maxMessageSize >= 1 << 20 && maxMessageSize <= Integer.MAX_VALUE, "server.maxMessageSize must be 1MiB..2GiB");
    Checks.check(http != null, "server.http must not be null (use Optional.empty())");
  }

  public ServerConfig(String host, int port, java.time.Duration idempotencyWindow) {
    this(host, port, idempotencyWindow, java.util.Optional.empty(), DEFAULT_MAX_MESSAGE_SIZE, java.util.Optional.empty());
  }

  public ServerConfig(String host, int port) {
    this(host, port, DEFAULT_IDEMPOTENCY_WINDOW);
  }

  /** Whether {@code host} names this machine only (clients elsewhere cannot connect). */
  public boolean isLoopback() {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }

  /** The same server on another port (0 picks a free one); used by tests and benchmarks. */
  public ServerConfig withPort(int newPort) {
    return new ServerConfig(host, newPort, idempotencyWindow, tls, maxMessageSize, http);
  }

  /** The same server with its operations port (if any) on {@code newPort} (0 picks a free one). */
  public ServerConfig withHttpPort(int newPort) {
    return new ServerConfig(host, port, idempotencyWindow, tls, maxMessageSize, http.map(h -> new HttpConfig(h.host(), newPort)));
  }
}
