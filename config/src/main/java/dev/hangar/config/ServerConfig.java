package dev.hangar.config;

/** Where the Flight endpoint listens. */
public record ServerConfig(String host, int port) {
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 8815;

  public ServerConfig {
    Checks.check(host != null && !host.isBlank(), "server.host must not be empty");
    Checks.check(port >= 0 && port <= 65535, "server.port must be 0..65535, got %s", port);
  }

  /** The same server on another port (0 picks a free one); used by tests and benchmarks. */
  public ServerConfig withPort(int newPort) {
    return new ServerConfig(host, newPort);
  }
}
