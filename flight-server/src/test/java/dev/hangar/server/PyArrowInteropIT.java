package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The pyarrow suite in client-examples/python/tests (including the README tour) against a live
 * server on the embedded default config. The build's pre-integration-test step creates .venv.
 */
class PyArrowInteropIT {
  @Test
  void pyarrowClientsWork() throws Exception {
    Path python = Path.of(System.getProperty("hangar.python", "../.venv/bin/python"));
    Path tests = Path.of(System.getProperty("hangar.python.tests", "../client-examples/python/tests"));
    assertThat(python).as("the venv made by client-examples/python/setup-venv.sh").isExecutable();
    try (HangarServer server = HangarServer.start(HangarConfig.defaults().withPort(0))) {
      Path log = Files.createTempFile("pytest", ".log");
      ProcessBuilder pb = new ProcessBuilder(List.of(python.toString(), "-m", "pytest", "-q", "-p", "no:cacheprovider", tests.toString()))
          .redirectErrorStream(true)
          .redirectOutput(log.toFile());
      pb.environment().put("HANGAR_URL", "grpc://127.0.0.1:" + server.port());
      Process p = pb.start();
      boolean finished = p.waitFor(5, TimeUnit.MINUTES);
      if (!finished) {
        p.destroyForcibly();
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println(output);
      assertThat(finished).as("pytest finished").isTrue();
      assertThat(p.exitValue()).as("pytest exit code; output:%n%s", output).isZero();
      assertThat(output).containsPattern("\\d+ passed");
      Files.deleteIfExists(log);
      assertThat(server.workingAllocatedBytes()).isZero();
    }
  }
}
