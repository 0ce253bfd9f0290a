package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.config.ConfigException;
import dev.hangar.config.HangarConfig;
import dev.hangar.tiers.durable.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Durable classes over Flight RPC, against a real S3 API server (S3Proxy in this JVM) and a
 * directory: what a strong put leaves in the store, restart, lifecycle, and the errors.
 */
class DurabilityIT {
  @RegisterExtension static final S3Server.PerClass S3 = new S3Server.PerClass();
  @TempDir Path tmp;
  S3Server s3;
  String bucket;

  @BeforeEach
  void newBucket() {
    s3 = S3.server();
    bucket = S3.newBucket("it");
  }

  /** s3/… and fs/… classes, strong and weak; everything else durability none. At most 2 weak flights wait per store. */
  static String config(S3Server s3, String bucket, Path dir) {
    return "storage: {memory: {capacity: 64MiB}}\n"
        + "durableStores:\n" + s3.storeYaml("s3", bucket) + "    weakQueue: 2\n"
        + "  - {id: local, type: filesystem, path: " + dir + ", weakQueue: 2}\n"
        + """
        storageClasses:
          - {prefix: "", tiers: [{storage: memory}]}
          - {prefix: s3/strong/, durability: strong, durableStore: s3, durablePrefix: hangar, tiers: [{storage: memory}]}
          - {prefix: s3/weak/, durability: weak, durableStore: s3, durablePrefix: hangar, tiers: [{storage: memory}]}
          - {prefix: fs/strong/, durability: strong, durableStore: local, tiers: [{storage: memory}]}
          - {prefix: fs/weak/, durability: weak, durableStore: local, tiers: [{storage: memory}]}
        """;
  }

  private String yaml() {
    return config(s3, bucket, tmp.resolve("durable"));
  }

  private List<String> objects() {
    try (S3Client client = s3.client()) {
      return client.listObjectsV2(b -> b.bucket(bucket)).contents().stream().map(S3Object::key).toList();
    }
  }

  static void awaitLanded(Hangar h) throws Exception {
    long end = System.nanoTime() + 20_000_000_000L;
    while (h.action("stats", "").get("weakPending").asInt() > 0) {
      assertThat(System.nanoTime()).as("weak copies land").isLessThan(end);
      Thread.sleep(20);
    }
  }

  @Test
  void strongPutsLeaveArrowFilesThatPyarrowReadsWithoutHangar() throws Exception {
    TestData.Batches data = TestData.wide(3, 2000, 11);
    try (Hangar h = Hangar.start(yaml())) {
      JsonNode s3Put = h.put("s3/strong/sales", data);
      assertThat(s3Put.get("durability").asText()).isEqualTo("strong");
      assertThat(s3Put.get("durableCopy").asText()).isEqualTo("stored");
      JsonNode fsPut = h.put("fs/strong/sales", data);
      assertThat(fsPut.get("durableCopy").asText()).isEqualTo("stored");
      assertThat(objects()).containsExactly("hangar/s3/strong/sales.arrow");
      Path file = tmp.resolve("durable/fs/strong/sales.arrow");
      assertThat(file).isRegularFile();
      PyTest.run(PyTest.ROOT.resolve("client-examples/python/durable"), h.server.port(), Map.of(
          "HANGAR_FS_FILE", file.toString(),
          "HANGAR_FS_FLIGHT", "fs/strong/sales",
          "HANGAR_S3_ENDPOINT", s3.endpoint().getAuthority(),
          "HANGAR_S3_KEY", S3Server.KEY,
          "HANGAR_S3_SECRET", S3Server.SECRET,
          "HANGAR_S3_OBJECT", bucket + "/hangar/s3/strong/sales.arrow",
          "HANGAR_S3_FLIGHT", "s3/strong/sales"));
    }
  }

  @Test
  void everythingAcknowledgedAsDurableSurvivesARestart() throws Exception {
    Map<String, TestData.Batches> durable = Map.of(
        "s3/strong/a", TestData.wide(2, 1000, 1),
        "s3/weak/b", TestData.wide(1, 500, 2),
        "fs/strong/c", TestData.wide(4, 300, 3),
        "fs/weak/d", TestData.wide(1, 10, 4));
    try (Hangar h = Hangar.start(yaml())) {
      for (var e : durable.entrySet()) {
        h.put(e.getKey(), e.getValue());
      }
      h.put("scratch/e", TestData.wide(1, 10, 5)); // durability none
      awaitLanded(h);
    }
    try (Hangar h = Hangar.start(yaml())) {
      assertThat(h.list("")).containsExactly("fs/strong/c", "fs/weak/d", "s3/strong/a", "s3/weak/b");
      FlightInfo info = h.client.getInfo(FlightDescriptor.path("s3/strong/a"));
      assertThat(info.getRecords()).isEqualTo(2000);
      assertThat(info.getSchema()).isEqualTo(TestData.WIDE);
      assertThat(h.client.getSchema(FlightDescriptor.path("fs/strong/c")).getSchema()).isEqualTo(TestData.WIDE);
      assertThat(h.action("describe", "s3/weak/b").get("tier").asText()).isEqualTo("durable");
      for (var e : durable.entrySet()) {
        assertThat(h.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue().expected(h.allocator));
      }
      JsonNode d = h.action("describe", "s3/weak/b");
      assertThat(d.get("tier").asText()).isEqualTo("memory");
      assertThat(d.get("durableCopy").asText()).isEqualTo("stored");
      assertThat(h.action("stats", "").get("storageClasses").get("s3/weak/").get("restores").asLong()).isEqualTo(1);
      assertThatThrownBy(() -> h.get("scratch/e"))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> assertThat(x.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
    }
  }

  @Test
  void deleteAndDeletePrefixRemoveDurableCopies() throws Exception {
    try (Hangar h = Hangar.start(yaml())) {
      h.put("s3/strong/t1/a", TestData.wide(1, 10, 1));
      h.put("s3/strong/t1/b", TestData.wide(1, 10, 2));
      h.put("s3/strong/t2/c", TestData.wide(1, 10, 3));
      h.put("fs/strong/t1/a", TestData.wide(1, 10, 4));
    }
    try (Hangar h = Hangar.start(yaml())) { // only the durable copies are left
      assertThat(h.action("delete", "s3/strong/t1/a").get("deleted").asBoolean()).isTrue();
      assertThat(h.action("delete-prefix", "s3/strong/t1/").get("deleted").asInt()).isEqualTo(1);
      assertThat(h.action("delete-prefix", "fs/").get("deleted").asInt()).isEqualTo(1);
      assertThat(objects()).containsExactly("hangar/s3/strong/t2/c.arrow");
      assertThat(Files.exists(tmp.resolve("durable/fs/strong/t1/a.arrow"))).isFalse();
      assertThatThrownBy(() -> h.action("delete", "s3/strong/t1/a"))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> {
            assertThat(x.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND);
            assertThat(x.getMessage()).isEqualTo("Flight \"s3/strong/t1/a\" not found");
          });
      assertThat(h.list("")).containsExactly("s3/strong/t2/c");
    }
  }

  @Test
  void aStrongPutToAStoreThatIsGoneFailsWithUnavailableAndLeavesNothing() throws Exception {
    try (Hangar h = Hangar.start(yaml())) {
      h.put("fs/strong/before", TestData.wide(1, 10, 1));
      Path dir = tmp.resolve("durable");
      Files.move(dir, tmp.resolve("unmounted"));
      assertThatThrownBy(() -> h.put("fs/strong/x", TestData.wide(2, 1000, 2)))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> {
            assertThat(x.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE);
            assertThat(x.getMessage()).isEqualTo("Cannot store flight \"fs/strong/x\" durably (storage class \"fs/strong/\"): filesystem store"
                + " \"local\" (" + dir + "): directory " + dir + " is missing (was the volume unmounted?)");
          });
      assertThat(h.get("fs/strong/before")).isEqualTo(TestData.wide(1, 10, 1).expected(h.allocator)); // still served from its tier
      Files.move(tmp.resolve("unmounted"), dir);
      assertThatThrownBy(() -> h.client.getInfo(FlightDescriptor.path("fs/strong/x")))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> assertThat(x.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
      JsonNode cls = h.action("stats", "").get("storageClasses").get("fs/strong/");
      assertThat(cls.get("rejectedPuts").asInt()).isEqualTo(1);
      assertThat(cls.get("flights").asInt()).isEqualTo(1);
      assertThat(h.server.store().stats().storageTypes().get(0).bytes()).isEqualTo(cls.get("bytes").asLong());
    }
  }

  @Test
  void aCorruptDurableCopyIsAnInternalErrorNamingTheObjectAndNothingIsCached() throws Exception {
    try (Hangar h = Hangar.start(yaml())) {
      h.put("fs/strong/c", TestData.wide(2, 1000, 1));
    }
    Path file = tmp.resolve("durable/fs/strong/c.arrow");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x01; // inside the batches' bodies
    Files.write(file, bytes);
    try (Hangar h = Hangar.start(yaml())) {
      assertThatThrownBy(() -> h.get("fs/strong/c"))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> {
            assertThat(x.status().code()).isEqualTo(FlightStatusCode.INTERNAL);
            assertThat(x.getMessage()).startsWith("Cannot read flight \"fs/strong/c\": its durable copy fs/strong/c.arrow in filesystem store"
                + " \"local\" (" + tmp.resolve("durable") + ") is unusable (checksum mismatch");
          });
      assertThat(h.action("describe", "fs/strong/c").get("tier").asText()).isEqualTo("durable"); // not cached
      assertThat(h.action("stats", "").get("storageClasses").get("fs/strong/").get("restores").asInt()).isZero();
    }
  }

  @Test
  void aMissingBucketStopsTheStartWithTheStoreNamed() {
    String yaml = config(s3, "no-such-bucket", tmp.resolve("durable"));
    assertThatThrownBy(() -> HangarServer.start(HangarConfig.parse(yaml, "test", Map.of()).withPort(0)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("durableStores[0]: s3 store \"s3\" (bucket no-such-bucket at " + s3.endpoint()
            + "): bucket no-such-bucket does not exist (create it first)");
  }

  @Test
  void durableFlightsAreNotListedTwiceAndListingFollowsTheStore() throws Exception {
    try (Hangar h = Hangar.start(yaml())) {
      h.put("s3/strong/x", TestData.wide(1, 10, 1));
      assertThat(h.list("s3/")).containsExactly("s3/strong/x"); // in a tier and in the store: once
      try (S3Client client = s3.client()) { // another node (or a person) removed it from the store
        client.deleteObject(b -> b.bucket(bucket).key("hangar/s3/strong/x.arrow"));
      }
      assertThat(h.list("s3/")).containsExactly("s3/strong/x"); // still in this node's tier
    }
  }
}
