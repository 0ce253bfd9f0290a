package dev.hangar.server.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.hangar.config.HttpConfig;
import dev.hangar.server.security.Authenticator;
import dev.hangar.server.security.Principal;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations port ({@code server.http}), on the JDK's HTTP server:
 * <ul>
 *   <li>{@code GET /live}: 200 "live" while the process answers;
 *   <li>{@code GET /ready}: 200 "ready", or 503 with a reason ("degraded: durable store …", "shutting down");
 *   <li>{@code GET /metrics}: Prometheus text format. When {@code auth} is set it needs a node admin's
 *       {@code authorization} header: 401 without valid credentials, 403 for someone else.
 * </ul>
 * It speaks HTTPS with the Flight port's certificate when {@code server.tls} is set. Health stays
 * open to anyone (probes carry no credentials); it tells nothing beyond the state of the stores.
 */
public final class OpsHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OpsHttpServer.class);

  private final HttpServer server;
  private final ExecutorService executor;

  public OpsHttpServer(HttpConfig config, SSLContext tls, NodeMetrics metrics, Health health, Authenticator auth, StatusPage page)
      throws IOException {
    InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
    if (tls != null) {
      HttpsServer https = HttpsServer.create(address, 64);
      https.setHttpsConfigurator(new HttpsConfigurator(tls));
      server = https;
    } else {
      server = HttpServer.create(address, 64);
    }
    server.createContext("/live", ex -> answer(ex, 200, "text/plain; charset=utf-8", "live\n"));
    server.createContext("/ready", ex -> {
      boolean ready = health.ready();
      answer(ex, ready ? 200 : 503, "text/plain; charset=utf-8", health.reason() + "\n");
    });
    server.createContext("/metrics", ex -> {
      if (admin(ex, auth, "metrics")) {
        answer(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
      }
    });
    server.createContext("/status.json", ex -> {
      if (admin(ex, auth, "status")) {
        answer(ex, 200, "application/json", page.json());
      }
    });
    server.createContext("/", ex -> {
      if (ex.getRequestURI().getPath().equals("/")) { // the page holds no data; it asks /status.json
        answer(ex, 200, "text/html; charset=utf-8", new String(page.html(), StandardCharsets.UTF_8));
      } else {
        answer(ex, 404, "text/plain; charset=utf-8", "Not found: this port serves /, /status.json, /live, /ready and /metrics\n");
      }
    });
    executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "hangar-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.start();
  }

  /** Whether the request comes from a node admin (always, without auth); answers 401 or 403 if not. */
  private static boolean admin(HttpExchange ex, Authenticator auth, String what) throws IOException {
    String peer = ex.getRemoteAddress().getAddress().getHostAddress();
    Principal p = auth.authenticateHttp(ex.getRequestHeaders().getFirst("Authorization"), peer, "GET " + ex.getRequestURI().getPath());
    if (p == null) {
      ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"hangar\"");
      answer(ex, 401, "text/plain; charset=utf-8", "Authentication required: send 'Authorization: Bearer <token>' of a node admin\n");
      return false;
    }
    if (!p.isNodeAdmin()) {
      answer(ex, 403, "text/plain; charset=utf-8", "Principal \"" + p.name() + "\" may not read the node's " + what + ": it needs an"
          + " admin grant on every path ({prefix: \"\", access: admin})\n");
      return false;
    }
    return true;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static void answer(HttpExchange ex, int code, String type, String body) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
        code = 405;
        body = "Only GET\n";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(code, head ? -1 : bytes.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(bytes);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Operations port: could not answer {}: {}", ex.getRequestURI(), e.getMessage());
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
