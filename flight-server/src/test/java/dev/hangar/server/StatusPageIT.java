package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.server.security.Secrets;
import dev.hangar.storage.StoreStats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightRuntimeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page in a real headless Chromium against a live node after a workload: the numbers
 * it shows must be those of {@code stats}, its errors those the workload caused, and its config
 * must not show a secret. It saves a screenshot at {@code target/status-page.png}.
 */
class StatusPageIT {
  private static final Path ROOT = Path.of(System.getProperty("hangar.root", "..")).toAbsolutePath().normalize();

  @TempDir
  Path dir;

  @Test
  void thePageShowsWhatStatsSays() throws Exception {
    String browser = run(List.of(ROOT.resolve("tools/setup-browser.sh").toString())).strip();
    String admin = Secrets.newToken();
    try (Hangar h = Hangar.start("""
        server: {http: {host: 127.0.0.1, port: 0}}
        storage: {memory: {capacity: 64MiB}}
        storageClasses:
          - {prefix: "", tiers: [{storage: memory}]}
          - {prefix: "reports/", ttl: 1h, tiers: [{storage: memory}]}
        limitPolicies:
          - {type: segmented, storageClasses: [""], segment: 1, flights: 3}
        auth:
          principals: [{name: admin, tokens: ["%s"], grants: [{prefix: "", access: admin}]}]
        """.formatted(Secrets.tokenHash(admin)))) {
      var auth = new org.apache.arrow.flight.grpc.CredentialCallOption(new org.apache.arrow.flight.auth2.BearerCredentialWriter(admin));
      h.put("cache/a", TestData.wide(4, 5000, 1), auth);
      h.put("cache/b", TestData.narrow(1, 100, 2), auth);
      h.put("reports/q1", TestData.narrow(2, 1000, 3), auth);
      for (int i = 0; i < 3; i++) {
        read(h, "cache/b", auth);
      }
      read(h, "reports/q1", auth);
      assertThatThrownBy(() -> read(h, "cache/none", auth)).isInstanceOf(FlightRuntimeException.class);
      assertThatThrownBy(() -> read(h, "cache/none", auth)).isInstanceOf(FlightRuntimeException.class);
      h.awaitIdle();

      String url = "http://127.0.0.1:" + h.server.httpPort() + "/#token=" + admin;
      Path screenshot = ROOT.resolve("flight-server/target/status-page.png");
      List<String> flags = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
          "--user-data-dir=" + dir.resolve("profile"), "--virtual-time-budget=10000", "--window-size=1400,1500");
      List<String> dump = new ArrayList<>(List.of(browser));
      dump.addAll(flags);
      dump.addAll(List.of("--dump-dom", url));
      String dom = run(dump);
      List<String> shot = new ArrayList<>(List.of(browser));
      shot.addAll(flags);
      shot.addAll(List.of("--screenshot=" + screenshot, url));
      run(shot);

      assertThat(dom).contains("data-loaded=\"yes\"");
      StoreStats stats = h.server.store().stats();
      StoreStats.TypeStats memory = stats.storageTypes().get(0);
      assertThat(value(dom, "type-memory-bytes")).isEqualTo(memory.bytes()).isPositive();
      assertThat(value(dom, "type-memory-flights")).isEqualTo(memory.flights()).isEqualTo(3);
      assertThat(value(dom, "type-memory-hits")).isEqualTo(memory.hits()).isEqualTo(4);
      assertThat(value(dom, "class--puts")).isEqualTo(2);
      assertThat(value(dom, "class-reports/-puts")).isEqualTo(1);
      assertThat(value(dom, "class-reports/-flights")).isEqualTo(1);
      assertThat(texts(dom, "hottest")).first().isEqualTo("cache/b");
      assertThat(value(dom, "hottest-cache/b-reads")).isEqualTo(3);
      assertThat(texts(dom, "largest")).first().isEqualTo("cache/a");
      assertThat(value(dom, "scope-cache-nearness")).isEqualTo(67); // 2 of 3 flights
      assertThat(value(dom, "errors-NOT_FOUND")).isEqualTo(2);
      assertThat(value(dom, "weak-pending")).isZero();
      assertThat(dom).contains(">ready<").contains("tokenHashes=[********").doesNotContain(Secrets.tokenHash(admin));
      assertThat(screenshot).isRegularFile();
      assertThat(Files.size(screenshot)).isGreaterThan(10_000);
    }
  }

  private static void read(Hangar h, String path, org.apache.arrow.flight.CallOption auth) throws Exception {
    try (var s = h.client.getStream(new org.apache.arrow.flight.Ticket(path.getBytes(StandardCharsets.UTF_8)), auth)) {
      while (s.next()) {
        s.getRoot().getRowCount();
      }
    }
  }

  /** The data-value of the element whose data-test is {@code test}. */
  private static long value(String dom, String test) {
    Matcher m = Pattern.compile("data-test=\"" + Pattern.quote(test) + "\" data-value=\"([0-9.]+)\"").matcher(dom);
    assertThat(m.find()).as("the page shows %s", test).isTrue();
    return Math.round(Double.parseDouble(m.group(1)));
  }

  /** The data-values of every element whose data-test is {@code test}, in page order. */
  private static List<String> texts(String dom, String test) {
    Matcher m = Pattern.compile("data-test=\"" + Pattern.quote(test) + "\" data-value=\"([^\"]*)\"").matcher(dom);
    List<String> out = new ArrayList<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static String run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s", command.get(0)).isZero();
    return out;
  }
}
