package dev.hangar.server;

import dev.hangar.config.ConfigException;
import dev.hangar.config.HangarConfig;
import dev.hangar.config.Sizes;
import dev.hangar.config.StorageClassConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code hangar serve [--config FILE]}, {@code hangar check-config FILE}, {@code hangar default-config}. */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);
  private static final String USAGE =
      """
      usage: hangar serve [--config FILE]     start a node (without --config: the embedded default)
             hangar check-config FILE         validate a config; print every error; exit 1 if there is one
             hangar default-config            print the embedded default config
             hangar hash-secret               read a password (prompt, or one line of stdin); print its hash for auth.principals[].password
             hangar hash-secret --token       read a bearer token likewise; print its hash for auth.principals[].tokens
             hangar hash-secret --new-token   make a random bearer token; print it (give it to the client) and its hash (for the config)
             hangar put FILE PATH | get PATH [-o FILE] | ls [PREFIX] | rm PATH | describe PATH | stats | sql "…"
                                              talk to a running node (hangar put --help, …; --url, --token, --user, --tls-root-certs)
             hangar generate-completion       a bash/zsh completion script: source <(./hangar generate-completion)
      """;

  private static final java.util.Set<String> CLIENT_COMMANDS =
      java.util.Set.of("put", "get", "ls", "rm", "describe", "stats", "sql", "generate-completion", "--version");

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length == 0) {
      System.err.print(USAGE);
      return 2;
    }
    if (CLIENT_COMMANDS.contains(args[0])) {
      return dev.hangar.cli.HangarCli.run(args, System.out, System.err);
    }
    switch (args[0]) {
      case "serve":
        if (args.length == 1) {
          return serve(null);
        } else if (args.length == 3 && args[1].equals("--config")) {
          return serve(Path.of(args[2]));
        }
        break;
      case "check-config":
        if (args.length == 2) {
          return checkConfig(Path.of(args[1]));
        }
        break;
      case "hash-secret":
        if (args.length == 1 || args.length == 2 && (args[1].equals("--token") || args[1].equals("--new-token"))) {
          return hashSecret(args.length == 1 ? "password" : args[1].substring(2));
        }
        break;
      case "default-config":
        System.out.print(HangarConfig.defaultYaml());
        return 0;
      case "help":
      case "--help":
      case "-h":
        System.out.print(USAGE);
        return 0;
      default:
        break;
    }
    System.err.print(USAGE);
    return 2;
  }

  static int checkConfig(Path file) {
    HangarConfig config;
    try {
      config = HangarConfig.load(file);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 1;
    }
    System.out.printf("%s is valid: %d storage class(es), %d durable store(s), %d limit polic(ies)%n",
        file, config.storageClasses().size(), config.durableStores().size(), config.limitPolicies().size());
    for (StorageClassConfig c : config.storageClasses()) {
      System.out.printf("  class \"%s\": durability %s, tiers %s%s%n", c.prefix(), c.durability(),
          c.tiers().stream().map(t -> t.storage().key()).toList(),
          c.ttl().map(t -> ", ttl " + dev.hangar.config.Durations.format(t)).orElse(""));
    }
    List<dev.hangar.config.LimitPolicyConfig> policies = config.limitPolicies();
    for (int i = 0; i < policies.size(); i++) {
      System.out.printf("  limitPolicies[%d]: %s over %s%n", i, policies.get(i).type(), policies.get(i).storageClasses());
    }
    System.out.println("  " + describeSql(config.sql()));
    System.out.println("  " + describeSecurity(config));
    config.cluster().ifPresent(c -> System.out.println("  " + describeCluster(c)));
    List<String> tlsProblems = config.server().tls()
        .map(t -> dev.hangar.server.security.TlsCredentials.problems(t, java.time.Instant.now())).orElse(List.of());
    if (!tlsProblems.isEmpty()) {
      System.err.println(file + ": TLS files cannot be used:");
      tlsProblems.forEach(p -> System.err.println("  " + p));
      return 1;
    }
    if (config.cluster().isPresent()) {
      try {
        dev.hangar.server.cluster.EtcdAccess.of(config.cluster().get());
      } catch (ConfigException e) {
        System.err.println(file + ": etcd TLS files cannot be used:");
        e.errors().forEach(p -> System.err.println("  " + p));
        return 1;
      }
    }
    return 0;
  }

  static String describeCluster(dev.hangar.config.ClusterConfig c) {
    String etcd = "etcd " + String.join(", ", c.etcd());
    if (c.etcdOverTls()) {
      var tls = c.etcdTls();
      etcd += " over TLS (trusting " + tls.flatMap(t -> t.ca()).map(p -> "the CA in " + p).orElse("the JVM's trust store")
          + tls.flatMap(t -> t.cert()).map(p -> ", client certificate " + p).orElse("") + ")";
    } else {
      etcd += " in plain text";
    }
    return "cluster: node " + c.nodeId() + " of \"" + c.name() + "\", " + etcd + c.etcdLogin().map(l -> ", as etcd user " + l.user()).orElse("");
  }

  static String describeSecurity(HangarConfig config) {
    String tls = config.server().tls().map(t -> "TLS" + switch (t.clientAuth()) {
      case REQUIRE -> " with client certificates required";
      case OPTIONAL -> " with optional client certificates";
      case NONE -> "";
    }).orElse("no TLS (plain text)");
    String auth = config.auth().enabled()
        ? "auth: " + config.auth().principals().size() + " principal(s) " + config.auth().principals().stream().map(p -> p.name()).toList()
        : "auth: none (every caller may do anything)";
    return "security: " + tls + "; " + auth;
  }

  /** {@code hash-secret}: the stored forms of secrets, so that a config never holds one in plain text. */
  static int hashSecret(String kind) {
    if (kind.equals("new-token")) {
      String token = dev.hangar.server.security.Secrets.newToken();
      System.out.println("token (give this to the client, once): " + token);
      System.out.println("hash (put this in auth.principals[].tokens): " + dev.hangar.server.security.Secrets.tokenHash(token));
      return 0;
    }
    char[] secret = readSecret(kind);
    if (secret == null || secret.length == 0) {
      System.err.println("hash-secret: no " + kind + " given (type it at the prompt, or pipe it in on one line)");
      return 1;
    }
    try {
      System.out.println(kind.equals("token")
          ? dev.hangar.server.security.Secrets.tokenHash(new String(secret))
          : dev.hangar.server.security.Secrets.passwordHash(secret, dev.hangar.server.security.Secrets.PASSWORD_ITERATIONS));
      return 0;
    } finally {
      java.util.Arrays.fill(secret, '\0');
    }
  }

  private static char[] readSecret(String kind) {
    java.io.Console console = System.console();
    if (console != null) {
      char[] first = console.readPassword("%s: ", kind);
      if (kind.equals("password") && first != null) {
        char[] again = console.readPassword("password again: ");
        if (again == null || !java.util.Arrays.equals(first, again)) {
          System.err.println("hash-secret: the two passwords differ");
          return null;
        }
      }
      return first;
    }
    try {
      String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8)).readLine();
      return line == null ? null : line.toCharArray();
    } catch (java.io.IOException e) {
      return null;
    }
  }

  static String describeSql(dev.hangar.config.SqlConfig sql) {
    if (!sql.enabled()) {
      return "sql: off (Flight SQL commands are refused)";
    }
    return String.format("sql: Flight SQL on the server's port; DuckDB %d thread(s), memory %s; %d concurrent queries, %d queued"
            + " for at most %s; query timeout %s; idle results dropped after %s (after %s if queries wait for their slots)",
        sql.threads(), Sizes.format(sql.memoryLimit()), sql.maxConcurrentQueries(), sql.maxQueuedQueries(),
        dev.hangar.config.Durations.format(sql.queueTimeout()), dev.hangar.config.Durations.format(sql.queryTimeout()),
        dev.hangar.config.Durations.format(sql.idleTimeout()), dev.hangar.config.Durations.format(sql.resultGrace()));
  }

  static int serve(Path file) {
    HangarConfig config;
    HangarServer server;
    try {
      config = file == null ? HangarConfig.defaults() : HangarConfig.load(file);
      server = HangarServer.start(config);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 1;
    } catch (Exception e) {
      LOG.error("Cannot start Hangar", e);
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("Shutting down: finishing running calls (up to 30s), then freeing every flight");
      try {
        server.close(Duration.ofSeconds(30));
        LOG.info("Hangar stopped cleanly");
      } catch (RuntimeException e) {
        LOG.error("Shutdown was not clean", e);
      } finally {
        stopped.countDown();
      }
    }, "hangar-shutdown"));
    LOG.info("Hangar listening on {}://{}:{} ({}; {}; {} storage class(es)); {}; {}",
        config.server().tls().isPresent() ? "grpc+tls" : "grpc", config.server().host(), server.port(), file == null ? "embedded default config" : file,
        String.join(", ", config.storage().types().values().stream().map(t -> t.type().key() + " " + Sizes.format(t.capacity())).toList()),
        config.storageClasses().size(), describeSql(config.sql()), describeSecurity(config));
    config.server().http().ifPresent(h -> LOG.info("Operations on {}://{}:{} (/metrics, /live, /ready)",
        config.server().tls().isPresent() ? "https" : "http", h.host(), server.httpPort()));
    try {
      server.awaitTermination();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
