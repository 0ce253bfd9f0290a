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
      """;

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    if (args.length == 0) {
      System.err.print(USAGE);
      return 2;
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
    List<String> unsupported = Unsupported.find(config);
    if (!unsupported.isEmpty()) {
      System.out.println("Note: this build cannot serve this config yet (`serve` will refuse it):");
      unsupported.forEach(u -> System.out.println("  " + u));
    }
    return 0;
  }

  static String describeSql(dev.hangar.config.SqlConfig sql) {
    if (!sql.enabled()) {
      return "sql: off (Flight SQL commands are refused)";
    }
    return String.format("sql: Flight SQL on the server's port; DuckDB %d thread(s), memory %s; %d concurrent queries, %d queued"
            + " for at most %s; query timeout %s; idle results dropped after %s",
        sql.threads(), Sizes.format(sql.memoryLimit()), sql.maxConcurrentQueries(), sql.maxQueuedQueries(),
        dev.hangar.config.Durations.format(sql.queueTimeout()), dev.hangar.config.Durations.format(sql.queryTimeout()),
        dev.hangar.config.Durations.format(sql.idleTimeout()));
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
    LOG.info("Hangar listening on grpc://{}:{} ({}; {}; {} storage class(es)); {}",
        config.server().host(), server.port(), file == null ? "embedded default config" : file,
        String.join(", ", config.storage().types().values().stream().map(t -> t.type().key() + " " + Sizes.format(t.capacity())).toList()),
        config.storageClasses().size(), describeSql(config.sql()));
    try {
      server.awaitTermination();
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
