package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** client-examples/python/tiers against a node with memory, disk_mapped and disk tiers. */
class TieredPyArrowIT {
  @TempDir Path dir;

  @Test
  void spillsWorkFromPyarrow() throws Exception {
    Path tests = PyTest.ROOT.resolve("client-examples/python/tiers");
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
      assertThat(PyTest.run(tests, server.port())).contains("2 passed");
      long files;
      try (Stream<Path> s = Stream.concat(Files.list(dir.resolve("mapped")), Files.list(dir.resolve("disk")))) {
        files = s.count();
      }
      long onDisk = server.store().list("").stream().filter(f -> f.storageType() != dev.hangar.config.StorageType.MEMORY).count();
      assertThat(files).as("one file per flight on disk").isEqualTo(onDisk).isPositive();
    }
  }
}
