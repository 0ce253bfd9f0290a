package dev.hangar.config;

/**
 * Where the Flight endpoint listens, and how long a put's {@code x-hangar-idempotency-key} is
 * remembered ({@code idempotencyWindow}, 24 hours unless set).
 */
public record ServerConfig(String host, int port, java.time.Duration idempotencyWindow) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8815;
  public static final java.time.Duration DEFAULT_IDEMPOTENCY_WINDOW = java.time.Duration.ofHours(24);

  public ServerConfig {
    Checks.check(host != null && !host.isBlank(), "server.host must not be empty");
    Checks.check(port >= 0 && port <= 65535, "server.port must be 0..65535, got %s", port);
    Checks.check(idempotencyWindow != null && idempotencyWindow.toMillis() > 0, "server.idempotencyWindow must be positive");
  }

  public ServerConfig(String host, int port) {
    this(host, port, DEFAULT_IDEMPOTENCY_WINDOW);
  }

  /** The same server on another port (0 picks a free one); used by tests and benchmarks. */
  public ServerConfig withPort(int newPort) {
    return new ServerConfig(host, newPort, idempotencyWindow);
  }
}
