package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * config/examples/limits.yaml end to end, as a user runs it: the {@code ./hangar} launcher serves
 * the example (scaled from GiB to MiB), pyarrow puts against its quotas, the server is stopped
 * and started again, and pyarrow finds the durable flights still counted.
 */
class LimitsPyArrowIT {
  private static final Path ROOT = PyTest.ROOT.toAbsolutePath().normalize();
  private static final Path TESTS = ROOT.resolve("client-examples/python/limits");

  @TempDir Path tmp;

  @Test
  void theExampleQuotasHoldFromPyarrowAndAcrossARestart() throws Exception {
    Path config = tmp.resolve("limits.yaml");
    Files.writeString(config, Files.readString(ROOT.resolve("config/examples/limits.yaml")).replace("GiB", "MiB"));
    Map<String, String> env = Map.of("HANGAR_NO_BUILD", "1", "HANGAR_HEAP", "256m", "HANGAR_PORT", "0", "HANGAR_HTTP_PORT", "0",
        "HANGAR_MEMORY", "64MiB", "HANGAR_DATA", tmp.resolve("data").toString());
    Process first = serve(config, env, tmp.resolve("first.log"));
    try {
      int port = LauncherIT.awaitPort(first, tmp.resolve("first.log"), Pattern.compile("Hangar listening on grpc://127\\.0\\.0\\.1:(\\d+)"));
      assertThat(PyTest.run(TESTS.resolve("test_limits.py"), port, Map.of("HANGAR_LIMIT_UNIT", "MiB"))).contains("3 passed");
      first.destroy();
      assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      first.destroyForcibly();
    }
    Process second = serve(config, env, tmp.resolve("second.log"));
    try {
      int port = LauncherIT.awaitPort(second, tmp.resolve("second.log"), Pattern.compile("Hangar listening on grpc://127\\.0\\.0\\.1:(\\d+)"));
      assertThat(Files.readString(tmp.resolve("second.log"))).contains("Limit policies: 4 durable flight(s) counted");
      assertThat(PyTest.run(TESTS.resolve("test_after_restart.py"), port, Map.of("HANGAR_LIMIT_UNIT", "MiB"))).contains("1 passed");
      second.destroy();
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readString(tmp.resolve("second.log"))).contains("Hangar stopped cleanly");
    } finally {
      second.destroyForcibly();
    }
  }

  private static Process serve(Path config, Map<String, String> env, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(List.of(ROOT.resolve("hangar").toString(), "serve", "--config", config.toString()))
        .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }
}
