package dev.hangar.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Runs the Java tour against a real server on the embedded default config. */
class JavaTourIT {
  @Test
  void tourRunsAgainstALiveServer() throws Exception {
    PrintStream stdout = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try (HangarServer server = HangarServer.start(HangarConfig.defaults().withPort(0))) {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      JavaTour.main(new String[] {"grpc://127.0.0.1:" + server.port()});
      assertThat(server.store().list("")).as("the tour deletes what it put").isEmpty();
    } finally {
      System.setOut(stdout);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    assertThat(out)
        .contains("put: {")
        .contains("\"path\" : \"cache/tenant1/sales\"")
        .contains("listed: [cache/tenant1/sales], 4 rows")
        .contains("apac\t99.9")
        .contains("\"deleted\" : true");
  }
}
