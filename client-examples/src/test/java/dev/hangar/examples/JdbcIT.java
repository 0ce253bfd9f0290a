package dev.hangar.examples;

import static dev.hangar.examples.SqlFixture.SALES1;
import static dev.hangar.examples.SqlFixture.SALES2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.server.SqlReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Flight SQL JDBC driver against a real server. The driver jar is shaded, so it runs in a JVM
 * of its own ({@code src/test/jdbc/JdbcProbe.java}, launched as a single-file program with only the
 * driver on its classpath); answers are compared with DuckDB over the same data.
 */
class JdbcIT {
  static final Path ROOT = Path.of(System.getProperty("hangar.root", "..")).toAbsolutePath().normalize();
  static final Path DRIVER = Path.of(System.getProperty("hangar.jdbc.driver", "target/jdbc/flight-sql-jdbc-driver.jar"));

  static final List<String> QUERIES = List.of(
      "SELECT region, sum(amount), count(*), min(price) FROM \"" + SALES1 + "\" GROUP BY 1",
      "SELECT id, amount, region, price FROM \"" + SALES1 + "\" WHERE id % 3 = 0",
      "SELECT a.region, count(*) FROM \"" + SALES1 + "\" a JOIN \"" + SALES2 + "\" b ON a.region = b.region GROUP BY ALL",
      "SELECT count(*) FROM \"" + SALES1 + "\" x, \"" + SALES1 + "\" y WHERE x.id = y.id + 1");

  /** Runs {@code commands} through the JDBC driver in a separate JVM; one list of output lines per command. */
  static List<List<String>> jdbc(SqlFixture f, List<String> commands) throws Exception {
    return jdbc(f.hostPort(), commands);
  }

  /** As above, against {@code target}: host:port of a plain-text node, or a whole JDBC URL. */
  static List<List<String>> jdbc(String target, List<String> commands) throws Exception {
    List<String> cmd = List.of(javaBin(), "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Djava.util.logging.config.file=/dev/null",
        "-cp", DRIVER.toString(), ROOT.resolve("client-examples/src/test/jdbc/JdbcProbe.java").toString(), target);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    p.getOutputStream().write(String.join("\n", commands).concat("\n").getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("JdbcProbe failed:\n" + new String(err, StandardCharsets.UTF_8) + out).isZero();
    List<List<String>> blocks = new ArrayList<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("## ")) {
        blocks.add(new ArrayList<>());
      } else if (!blocks.isEmpty() && !line.isEmpty()) {
        blocks.get(blocks.size() - 1).add(line);
      }
    }
    assertThat(blocks).as(out).hasSize(commands.size());
    return blocks;
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  @Test
  void jdbcQueriesPreparedStatementsMetadataAndErrors() throws Exception {
    assertThat(DRIVER).as("the driver jar (copied by mvn package)").exists();
    try (SqlFixture f = new SqlFixture()) {
      List<String> commands = new ArrayList<>();
      QUERIES.forEach(q -> commands.add("query\t" + q));
      commands.add("prepared\tSELECT id, region, amount FROM \"" + SALES1 + "\" WHERE id > ? AND region = ?\tlong:1000500\tstring:region-3");
      commands.add("prepared\tSELECT count(*) FROM \"" + SALES2 + "\" WHERE amount > ?\tdouble:500000.5");
      commands.add("tables\t%");
      commands.add("tables\tcache/tenant2/%");
      commands.add("columns\t" + SALES2);
      commands.add("catalogs");
      commands.add("schemas");
      commands.add("product");
      commands.add("query\tSELEC 1");
      commands.add("query\tSELECT * FROM \"cache/nope\"");
      commands.add("parallel\t6\t" + QUERIES.get(0));
      List<List<String>> out = jdbc(f, commands);
      for (int i = 0; i < QUERIES.size(); i++) {
        assertThat(SqlReference.sorted(out.get(i))).as(QUERIES.get(i)).isNotEmpty().isEqualTo(f.reference.query(QUERIES.get(i)));
      }
      int k = QUERIES.size();
      assertThat(SqlReference.sorted(out.get(k)))
          .isNotEmpty()
          .isEqualTo(f.reference.query("SELECT id, region, amount FROM \"" + SALES1 + "\" WHERE id > 1000500 AND region = 'region-3'"));
      assertThat(out.get(k + 1)).isEqualTo(f.reference.query("SELECT count(*) FROM \"" + SALES2 + "\" WHERE amount > 500000.5"));
      assertThat(out.get(k + 2)).containsExactly("memory\tmain\t" + SALES1 + "\tTABLE", "memory\tmain\t" + SALES2 + "\tTABLE");
      assertThat(out.get(k + 3)).containsExactly("memory\tmain\t" + SALES2 + "\tTABLE");
      assertThat(out.get(k + 4)).containsExactly(
          SALES2 + "\tid\tBIGINT", SALES2 + "\tamount\tDOUBLE", SALES2 + "\tregion\tVARCHAR", SALES2 + "\tat\tTIMESTAMP_WITH_TIMEZONE",
          SALES2 + "\tprice\tDECIMAL", SALES2 + "\ttags\tARRAY");
      assertThat(out.get(k + 5)).containsExactly("memory");
      assertThat(out.get(k + 6)).containsExactly("main\tmemory");
      assertThat(out.get(k + 7)).containsExactly("Hangar 0.1.0-SNAPSHOT");
      assertThat(out.get(k + 8)).singleElement().asString().startsWith("ERROR ").contains("Parser Error: syntax error at or near \"SELEC\"");
      assertThat(out.get(k + 9)).singleElement().asString().startsWith("ERROR ").contains("there is no flight \"cache/nope\"");
      assertThat(SqlReference.sorted(out.get(k + 10))).isEqualTo(f.reference.query(QUERIES.get(0)));
    }
  }

  @Test
  void theJdbcExampleRuns() throws Exception {
    try (SqlFixture f = new SqlFixture()) {
      Process p = new ProcessBuilder(ROOT.resolve("client-examples/run-jdbc.sh").toString(), f.hostPort(), SALES1)
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      assertThat(out).contains("connected to Hangar", "table: " + SALES1, "region\ttotal", "n\n");
      for (String row : f.reference.query("SELECT region, sum(amount) FROM \"" + SALES1 + "\" GROUP BY region")) {
        assertThat(out).contains(row + "\n");
      }
    }
  }
}
