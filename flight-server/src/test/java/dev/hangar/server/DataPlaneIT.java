package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import dev.hangar.tiers.durable.S3Server;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fidelity matrix (client-examples/python/dataplane) from pyarrow: every Arrow type and layout,
 * dictionaries (replaced and delta), compression and app_metadata, put into each tier (memory,
 * disk_mapped, disk) and each durable store kind (a directory, S3), read back equal; then the node
 * restarts and the durable flights are read back again, restored from their stores. Every tier file and
 * durable object is opened with pyarrow's IPC file reader.
 */
class DataPlaneIT {
  @RegisterExtension static final S3Server.PerClass S3 = new S3Server.PerClass();
  @TempDir Path dir;

  private String yaml(S3Server s3, String bucket) {
    return """
        server: {port: 0}
        storage:
          memory: {capacity: 256MiB}
          disk_mapped: {path: %s, capacity: 1GiB}
          disk: {path: %s, capacity: 1GiB}
        durableStores:
        %s
          - {id: local, type: filesystem, path: %s}
        storageClasses:
          - {prefix: mem/, tiers: [{storage: memory}]}
          - {prefix: mapped/, tiers: [{storage: disk_mapped}]}
          - {prefix: disk/, tiers: [{storage: disk}]}
          - {prefix: fs/, durability: strong, durableStore: local, tiers: [{storage: memory}]}
          - {prefix: s3/, durability: strong, durableStore: s3, durablePrefix: hangar, tiers: [{storage: disk_mapped}]}
        """.formatted(dir.resolve("mapped"), dir.resolve("disk"), s3.storeYaml("s3", bucket).stripTrailing(), dir.resolve("durable"));
  }

  @Test
  void everyTypeRoundTripsThroughEveryTierAndARestore() throws Exception {
    S3Server s3 = S3.server();
    String bucket = S3.newBucket("dataplane");
    HangarConfig config = HangarConfig.parse(yaml(s3, bucket), "dataplane",
        Map.of("HANGAR_S3_KEY", S3Server.KEY, "HANGAR_S3_SECRET", S3Server.SECRET));
    Path tests = PyTest.ROOT.resolve("client-examples/python/dataplane");
    String files = String.join(",", dir.resolve("mapped").toString(), dir.resolve("disk").toString(), dir.resolve("durable").toString());
    try (HangarServer server = HangarServer.start(config)) {
      String out = PyTest.run(tests, server.port(), Map.of(
          "HANGAR_PREFIXES", "mem/,mapped/,disk/,fs/,s3/", "HANGAR_PHASE", "put", "HANGAR_FILE_DIRS", files));
      assertThat(out).containsPattern("\\d+ passed").doesNotContain("failed");
      assertThat(server.workingAllocatedBytes()).isZero();
    }
    try (HangarServer server = HangarServer.start(config)) {
      String out = PyTest.run(tests, server.port(), Map.of("HANGAR_PREFIXES", "fs/,s3/", "HANGAR_PHASE", "restore"));
      assertThat(out).containsPattern("\\d+ passed").doesNotContain("failed");
      assertThat(server.store().list("fs/")).allSatisfy(f -> assertThat(f.location()).isEqualTo("memory"));
      assertThat(server.workingAllocatedBytes()).isZero();
    }
  }
}
