package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a pytest suite from the repository's .venv against a live server, and returns its output. */
final class PyTest {
  static final Path PYTHON = Path.of(System.getProperty("hangar.python", "../.venv/bin/python"));
  static final Path ROOT = Path.of(System.getProperty("hangar.root", ".."));

  private PyTest() {}

  /** Runs {@code tests} with HANGAR_URL pointing at {@code port}; fails unless pytest passes. */
  static String run(Path tests, int port) throws Exception {
    return run(tests, port, java.util.Map.of());
  }

  /** Same, with more environment variables for the tests. */
  static String run(Path tests, int port, java.util.Map<String, String> env) throws Exception {
    assertThat(PYTHON).as("the venv made by client-examples/python/setup-venv.sh").isExecutable();
    Path log = Files.createTempFile("pytest", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(List.of(PYTHON.toString(), "-m", "pytest", "-q", "-p", "no:cacheprovider", tests.toString()))
          .redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("HANGAR_URL", "grpc://127.0.0.1:" + port);
      pb.environment().putAll(env);
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
      return output;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** Runs a Python script from the venv; fails unless it exits 0. Returns its output. */
  static String script(Path script, String... args) throws Exception {
    assertThat(PYTHON).as("the venv made by client-examples/python/setup-venv.sh").isExecutable();
    Path log = Files.createTempFile("python", ".log");
    try {
      List<String> command = new java.util.ArrayList<>(List.of(PYTHON.toString(), script.toString()));
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      boolean finished = p.waitFor(5, TimeUnit.MINUTES);
      if (!finished) {
        p.destroyForcibly();
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(finished).as("%s finished", script).isTrue();
      assertThat(p.exitValue()).as("%s exit code; output:%n%s", script, output).isZero();
      return output;
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
