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

  /**
   * The same types from the Arrow Java client: every column of every case (one stream per column, written
   * by pyarrow) that Arrow Java can decode is put with FlightClient into each tier and store, read back
   * with it, and compared batch by batch (values and dictionaries); after a restart the durable ones are
   * read again. Columns Arrow Java cannot decode (its reader refuses the file) are listed, not failed:
   * that is Arrow Java, before Hangar is involved.
   */
  @Test
  void everyTypeArrowJavaDecodesRoundTripsFromTheJavaClient() throws Exception {
    S3Server s3 = S3.server();
    String bucket = S3.newBucket("dataplane-java");
    HangarConfig config = HangarConfig.parse(yaml(s3, bucket), "dataplane",
        Map.of("HANGAR_S3_KEY", S3Server.KEY, "HANGAR_S3_SECRET", S3Server.SECRET));
    Path columns = dir.resolve("columns");
    PyTest.script(PyTest.ROOT.resolve("client-examples/python/fuzz/streams.py"), "columns", columns.toString());
    java.util.List<Path> files;
    try (var list = java.nio.file.Files.list(columns)) {
      files = list.sorted().toList();
    }
    java.util.Map<String, java.util.List<String>> expected = new java.util.TreeMap<>();
    java.util.List<String> javaCannot = new java.util.ArrayList<>();
    try (org.apache.arrow.memory.BufferAllocator allocator = new org.apache.arrow.memory.RootAllocator()) {
      for (Path f : files) {
        String name = f.getFileName().toString().replace(".arrows", "");
        try {
          expected.put(name, decode(f, allocator));
        } catch (Exception | AssertionError e) {
          javaCannot.add(name);
        }
      }
      System.out.println("Arrow Java cannot decode " + javaCannot.size() + " of " + files.size() + " columns: " + javaCannot);
      assertThat(expected).hasSizeGreaterThan(50);
      java.util.List<String> prefixes = java.util.List.of("mem/", "mapped/", "disk/", "fs/", "s3/");
      try (HangarServer server = HangarServer.start(config);
          org.apache.arrow.flight.FlightClient client = org.apache.arrow.flight.FlightClient.builder(allocator, server.location()).build()) {
        for (String prefix : prefixes) {
          for (Path f : files) {
            String name = f.getFileName().toString().replace(".arrows", "");
            if (expected.containsKey(name)) {
              put(client, allocator, f, prefix + "java/" + name);
              assertThat(read(client, prefix + "java/" + name)).as(prefix + name).isEqualTo(expected.get(name));
            }
          }
        }
        assertThat(server.workingAllocatedBytes()).isZero();
      }
      try (HangarServer server = HangarServer.start(config);
          org.apache.arrow.flight.FlightClient client = org.apache.arrow.flight.FlightClient.builder(allocator, server.location()).build()) {
        for (String prefix : java.util.List.of("fs/", "s3/")) {
          for (var e : expected.entrySet()) {
            assertThat(read(client, prefix + "java/" + e.getKey())).as("restored " + prefix + e.getKey()).isEqualTo(e.getValue());
          }
        }
        assertThat(server.workingAllocatedBytes()).isZero();
      }
    }
  }

  /** The schema, then per batch its values and its dictionaries, as text. */
  private static java.util.List<String> decode(Path file, org.apache.arrow.memory.BufferAllocator allocator) throws Exception {
    try (var in = java.nio.file.Files.newInputStream(file);
        var reader = new org.apache.arrow.vector.ipc.ArrowStreamReader(in, allocator,
            org.apache.arrow.compression.CommonsCompressionFactory.INSTANCE)) {
      var root = reader.getVectorSchemaRoot();
      java.util.List<String> out = new java.util.ArrayList<>();
      out.add(root.getSchema().toJson());
      while (reader.loadNextBatch()) {
        out.add(text(root, reader));
      }
      return out;
    }
  }

  private static String text(org.apache.arrow.vector.VectorSchemaRoot root, org.apache.arrow.vector.dictionary.DictionaryProvider dictionaries) {
    StringBuilder b = new StringBuilder();
    for (int row = 0; row < root.getRowCount(); row++) {
      for (var v : root.getFieldVectors()) {
        b.append(render(v.getObject(row))).append('\t');
      }
      b.append('\n');
    }
    for (long id : new java.util.TreeSet<>(dictionaries.getDictionaryIds())) {
      var v = dictionaries.lookup(id).getVector();
      b.append("dictionary ").append(id).append(':');
      for (int i = 0; i < v.getValueCount(); i++) {
        b.append(' ').append(render(v.getObject(i)));
      }
      b.append('\n');
    }
    return b.toString();
  }

  /** A value as text; binary values by their bytes (byte[] has no content toString). */
  private static String render(Object value) {
    if (value instanceof byte[] bytes) {
      return java.util.HexFormat.of().formatHex(bytes);
    }
    if (value instanceof java.util.List<?> list) {
      return list.stream().map(DataPlaneIT::render).toList().toString();
    }
    if (value instanceof java.util.Map<?, ?> map) {
      StringBuilder b = new StringBuilder("{");
      map.forEach((k, v) -> b.append(render(k)).append('=').append(render(v)).append(','));
      return b.append('}').toString();
    }
    return String.valueOf(value);
  }

  private static void put(org.apache.arrow.flight.FlightClient client, org.apache.arrow.memory.BufferAllocator allocator, Path file,
      String path) throws Exception {
    try (var in = java.nio.file.Files.newInputStream(file);
        var reader = new org.apache.arrow.vector.ipc.ArrowStreamReader(in, allocator,
            org.apache.arrow.compression.CommonsCompressionFactory.INSTANCE)) {
      var root = reader.getVectorSchemaRoot();
      boolean any = reader.loadNextBatch(); // the dictionaries are loaded with the first batch, and go out first
      var listener = client.startPut(org.apache.arrow.flight.FlightDescriptor.path(path), root, reader,
          new org.apache.arrow.flight.AsyncPutListener());
      while (any) {
        listener.putNext();
        any = reader.loadNextBatch();
      }
      listener.completed();
      listener.getResult();
    }
  }

  private static java.util.List<String> read(org.apache.arrow.flight.FlightClient client, String path) throws Exception {
    try (var stream = client.getStream(new org.apache.arrow.flight.Ticket(path.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
      java.util.List<String> out = new java.util.ArrayList<>();
      out.add(stream.getSchema().toJson());
      while (stream.next()) {
        out.add(text(stream.getRoot(), stream.getDictionaryProvider()));
      }
      return out;
    }
  }
}
