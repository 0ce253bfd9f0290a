package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** client-examples/python/tiers against a node with memory, disk_mapped and disk tiers. */
class TieredPyArrowIT {
  @TempDir Path dir;

  @Test
  void spillsWorkFromPyarrow() throws Exception {
    Path python = Path.of(System.getProperty("hangar.python", "../.venv/bin/python"));
    Path tests = Path.of(System.getProperty("hangar.root", "..")).resolve("client-examples/python/tiers");
    HangarConfig config = HangarConfig.parse("""
        server: {port: 0}
        storage:
          memory: {capacity: 96MiB}
          disk_mapped: {path: %s, capacity: 1GiB}
          disk: {path: %s, capacity: 1GiB}
        storageClasses:
          - prefix: spill/
            tiers: [{storage: memory, maxFlightSize: 40MiB}, {storage: disk_mapped}]
          - prefix: evict/
            tiers: [{storage: memory, evictionSpill: true}, {storage: disk}]
        """.formatted(dir.resolve("mapped"), dir.resolve("disk")), "tiered", Map.of());
    try (HangarServer server = HangarServer.start(config)) {
      Path log = dir.resolve("pytest.log");
      ProcessBuilder pb = new ProcessBuilder(List.of(python.toString(), "-m", "pytest", "-q", "-p", "no:cacheprovider", tests.toString()))
          .redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("HANGAR_URL", "grpc://127.0.0.1:" + server.port());
      Process p = pb.start();
      boolean finished = p.waitFor(5, TimeUnit.MINUTES);
      if (!finished) {
        p.destroyForcibly();
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      System.out.println(output);
      assertThat(finished).isTrue();
      assertThat(p.exitValue()).as("pytest output:%n%s", output).isZero();
      assertThat(output).contains("2 passed");
      long files;
      try (Stream<Path> s = Stream.concat(Files.list(dir.resolve("mapped")), Files.list(dir.resolve("disk")))) {
        files = s.count();
      }
      long onDisk = server.store().list("").stream().filter(f -> f.storageType() != dev.hangar.config.StorageType.MEMORY).count();
      assertThat(files).as("one file per flight on disk").isEqualTo(onDisk).isPositive();
    }
  }
}
