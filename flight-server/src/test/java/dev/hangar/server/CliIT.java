package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.cli.HangarCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code hangar} client command against a live node, with the files a user has (Parquet and
 * CSV written by DuckDB) and the failures a user meets: no server, a missing flight, a bad path, a
 * quota, a file that is not what its name says, a command line that does not parse. Each failure
 * has its own exit code.
 */
class CliIT {
  private static final Path ROOT = Path.of(System.getProperty("hangar.root", "..")).toAbsolutePath().normalize();

  @TempDir
  Path dir;

  record Run(int code, String out, String err) {}

  private Run cli(String url, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of(args));
    if (url != null && args.length > 0 && !args[0].startsWith("-")) {
      all.add(1, "--url=" + url);
    }
    int code = HangarCli.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static long duckCount(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void duck(String sql) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void everyCommandWorksAndEveryFailureHasItsExitCode() throws Exception {
    Path parquet = dir.resolve("sales.parquet");
    Path csv = dir.resolve("orders.csv");
    duck("COPY (SELECT i AS id, 'region-' || (i % 3) AS region, i * 0.5 AS amount FROM range(100000) t(i)) TO '" + parquet + "' (FORMAT parquet)");
    duck("COPY (SELECT i AS id, i % 7 AS qty FROM range(1000) t(i)) TO '" + csv + "' (FORMAT csv, HEADER true)");
    try (Hangar h = Hangar.start("""
        storage: {memory: {capacity: 256MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}, {prefix: "reports/", ttl: 1h, tiers: [{storage: memory}]}]
        limitPolicies: [{type: segmented, storageClasses: [""], segment: 1, flights: 1}]
        """)) {
      String url = "grpc://127.0.0.1:" + h.server.port();

      Run put = cli(url, "put", parquet.toString(), "cache/sales");
      assertThat(put.code()).as(put.err()).isZero();
      assertThat(put.out()).startsWith("stored cache/sales: 100,000 rows,").contains("in memory (durability none)");
      assertThat(put.err()).as("a progress bar").contains("put cache/sales").contains("rows");
      assertThat(cli(url, "put", csv.toString(), "reports/orders").code()).isZero();
      assertThat(h.server.store().info("cache/sales").rows()).isEqualTo(100_000);

      Run ls = cli(url, "ls");
      assertThat(ls.code()).isZero();
      assertThat(ls.out().lines().toList()).first().asString().contains("path").contains("rows").contains("tier").contains("expires");
      assertThat(ls.out()).containsPattern("cache/sales +100,000 .* memory +none +-")
          .containsPattern("reports/orders +1,000 .* memory +none +20\\d\\d-");
      assertThat(cli(url, "ls", "reports/").out()).doesNotContain("cache/sales");

      for (String ext : List.of("parquet", "csv", "arrow")) {
        Path out = dir.resolve("back." + ext);
        Run get = cli(url, "get", "cache/sales", "-o", out.toString());
        assertThat(get.code()).as(get.err()).isZero();
        assertThat(get.out()).isEqualTo("wrote 100,000 rows to " + out + "\n");
      }
      assertThat(duckCount("SELECT count(*) FROM read_parquet('" + dir.resolve("back.parquet") + "') WHERE amount = id * 0.5")).isEqualTo(100_000);
      assertThat(duckCount("SELECT count(*) FROM read_csv('" + dir.resolve("back.csv") + "')")).isEqualTo(100_000);
      assertThat(cli(url, "put", dir.resolve("back.arrow").toString(), "reports/again").code()).isZero(); // Arrow in, too
      assertThat(h.server.store().info("reports/again").rows()).isEqualTo(100_000);
      Run table = cli(url, "get", "reports/orders", "--limit", "3");
      assertThat(table.out().lines().toList()).hasSize(6).element(0).asString().contains("id").contains("qty");
      assertThat(table.out()).contains("(3 of 1,000 rows shown; write them all with -o FILE)");

      Run sql = cli(url, "sql", "SELECT region, count(*) AS n FROM \"cache/sales\" GROUP BY region ORDER BY region");
      assertThat(sql.code()).as(sql.err()).isZero();
      assertThat(sql.out()).containsPattern("region-0 +33334").containsPattern("region-2 +33333");
      Path result = dir.resolve("result.parquet");
      assertThat(cli(url, "sql", "SELECT * FROM \"reports/orders\" WHERE qty = 0", "-o", result.toString()).code()).isZero();
      assertThat(duckCount("SELECT count(*) FROM read_parquet('" + result + "')")).isEqualTo(143);

      assertThat(cli(url, "describe", "cache/sales").out()).containsPattern("rows +100000");
      assertThat(Hangar.JSON.readTree(cli(url, "stats", "--json").out()).at("/storageTypes/memory/flights").asLong()).isEqualTo(3);
      assertThat(cli(url, "stats").out()).containsPattern("memory .* 256\\.0 MiB +3 ");

      // failures, each with its exit code and one line to act on
      Run noServer = cli("grpc://127.0.0.1:1", "ls");
      assertThat(noServer.code()).isEqualTo(3);
      assertThat(noServer.err()).startsWith("hangar ls: no Hangar node answers (").contains("is it running at this --url (or HANGAR_URL)?");
      Run missing = cli(url, "get", "cache/none");
      assertThat(missing.code()).isEqualTo(4);
      assertThat(missing.err()).isEqualTo("hangar get: Flight \"cache/none\" not found\n");
      Run quota = cli(url, "put", csv.toString(), "cache/third");
      assertThat(quota.code()).as(quota.err()).isEqualTo(5);
      assertThat(quota.err()).contains("\nhangar put: Cannot store flight \"cache/third\": limitPolicies[0] (segmented) scope \"cache\" allows 1");
      Run badPath = cli(url, "put", csv.toString(), "cache//x");
      assertThat(badPath.code()).isEqualTo(6);
      assertThat(badPath.err()).contains("Invalid flight path \"cache//x\"");
      Path notParquet = dir.resolve("notes.parquet");
      Files.writeString(notParquet, "these are notes, not a table\n");
      Run bad = cli(url, "put", notParquet.toString(), "reports/x");
      assertThat(bad.code()).isEqualTo(6);
      assertThat(bad.err()).startsWith("hangar put: " + notParquet + " is not a Parquet file: ");
      Run unknown = cli(url, "put", dir.resolve("sales.xlsx").toString(), "reports/x");
      assertThat(unknown.code()).isEqualTo(6);
      Files.writeString(dir.resolve("sales.xlsx"), "x");
      assertThat(cli(url, "put", dir.resolve("sales.xlsx").toString(), "reports/x").err())
          .contains("cannot tell the format of " + dir.resolve("sales.xlsx") + " from its name: use .parquet");
      Run usage = cli(url, "put", parquet.toString());
      assertThat(usage.code()).isEqualTo(2);
      assertThat(usage.err()).startsWith("hangar: Missing required parameter");
      assertThat(h.server.store().list("").stream().map(s -> s.path()).toList())
          .as("no failure stored anything").containsExactly("cache/sales", "reports/again", "reports/orders");

      Run rm = cli(url, "rm", "cache/sales");
      assertThat(rm.out()).isEqualTo("deleted cache/sales\n");
      assertThat(cli(url, "rm", "--prefix", "reports/").out()).isEqualTo("deleted 2 flight(s) under reports/\n");
      assertThat(h.server.store().list("")).isEmpty();

      // the launcher routes the same commands
      ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("hangar").toString(), "ls", "--url", url).directory(ROOT.toFile())
          .redirectErrorStream(true);
      pb.environment().putAll(java.util.Map.of("HANGAR_NO_BUILD", "1", "HANGAR_HEAP", "256m"));
      Process p = pb.start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out).contains("path").contains("durability");
      assertThat(cli(null, "generate-completion").out()).contains("complete -F");
    }
  }

  @Test
  void theCliSpeaksTlsAndAuthenticates() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    String token = dev.hangar.server.security.Secrets.newToken();
    try (HangarServer server = HangarServer.start(dev.hangar.config.HangarConfig.parse("""
        server:
          port: 0
          tls: {cert: "%s", key: "%s"}
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        auth:
          principals: [{name: t1, tokens: ["%s"], grants: [{prefix: "cache/t1/", access: write}]}]
        """.formatted(certs.serverCert, certs.serverKey, dev.hangar.server.security.Secrets.tokenHash(token)), "test", java.util.Map.of()))) {
      Path csv = dir.resolve("small.csv");
      Files.writeString(csv, "a,b\n1,x\n2,y\n");
      String url = "grpc+tls://127.0.0.1:" + server.port();
      String ca = "--tls-root-certs=" + certs.caCert;
      Run put = cli(url, "put", ca, "--token=" + token, csv.toString(), "cache/t1/small");
      assertThat(put.code()).as(put.err()).isZero();
      assertThat(cli(url, "ls", ca, "--token=" + token).out()).contains("cache/t1/small");
      Run anonymous = cli(url, "ls", ca);
      assertThat(anonymous.code()).isEqualTo(7);
      assertThat(anonymous.err()).startsWith("hangar ls: Authentication required: send 'authorization: Bearer <token>'");
      Run denied = cli(url, "put", ca, "--token=" + token, csv.toString(), "cache/t2/small");
      assertThat(denied.code()).isEqualTo(7);
      assertThat(denied.err()).contains("Principal \"t1\" may not write \"cache/t2/small\": no write grant covers that path");
      assertThat(cli(url, "ls", "--token=" + token).code()).as("TLS without the CA").isEqualTo(3);
    }
  }
}
