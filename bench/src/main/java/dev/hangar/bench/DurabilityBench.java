package dev.hangar.bench;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Put throughput of one flight with durability none, weak and strong, to S3 (S3Proxy on loopback,
 * storing on this machine's disk) and to the filesystem store, all in the same run and reported
 * against {@code none}; for weak, both until acknowledged and until the copy landed. Then restore
 * throughput: the first DoGet after a restart (object read back into memory, checksum verified,
 * streamed to the client) against a plain S3 GET of the same object with the AWS SDK.
 *
 * <p>Usage: {@code bench/run-durability.sh [--mib 256] [--runs 5] [--warmup 1] [--s3-backend disk|memory]}; with
 * {@code memory} S3Proxy keeps objects in heap, which takes its disk out of the S3 numbers.
 */
public final class DurabilityBench {
  private static final String KEY = "bench-key";
  private static final String SECRET = "bench-secret";
  private static final List<String> CLASSES = List.of("none", "strong-s3", "weak-s3", "strong-fs", "weak-fs");

  public static void main(String[] args) throws Exception {
    long mib = Long.parseLong(FlightThroughputBench.option(args, "--mib", "256"));
    int runs = Integer.parseInt(FlightThroughputBench.option(args, "--runs", "5"));
    int warmup = Integer.parseInt(FlightThroughputBench.option(args, "--warmup", "1"));
    Path work = Files.createTempDirectory("hangar-durability-bench");
    Path blobs = Files.createDirectories(work.resolve("s3"));
    boolean inMemory = FlightThroughputBench.option(args, "--s3-backend", "disk").equals("memory");
    S3Proxy proxy = S3Proxy.builder()
        .blobStore(inMemory ? new org.gaul.s3proxy.nio2blob.TransientNio2BlobStore() : new FilesystemNio2BlobStore(blobs.toString()))
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY, SECRET)
        .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(5);
    }
    URI endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    try (S3Client s3 = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
            .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(KEY, SECRET))).build();
        BufferAllocator allocator = new RootAllocator()) {
      s3.createBucket(b -> b.bucket("bench"));
      HangarConfig config = HangarConfig.parse(yaml(endpoint, work.resolve("fs"), mib), "bench", Map.of());
      List<ArrowRecordBatch> data = FlightThroughputBench.generate(allocator, mib << 20);
      long body = data.stream().mapToLong(ArrowRecordBatch::computeBodyLength).sum();
      System.out.printf(Locale.ROOT, "flight: %d batches, Arrow body %.1f MiB; S3Proxy (%s backend) and the filesystem store on %s;"
          + " %d warm-up and %d measured rounds, medians%n", data.size(), body / 1048576.0, inMemory ? "in-memory" : "filesystem", work,
          warmup, runs);
      Map<String, double[]> ack = new LinkedHashMap<>();
      Map<String, double[]> landed = new LinkedHashMap<>();
      CLASSES.forEach(c -> {
        ack.put(c, new double[runs]);
        landed.put(c, new double[runs]);
      });
      // Baselines: the same number of bytes written without Hangar, in the same run.
      double[] plainPut = new double[runs];
      double[] multipart = new double[runs];
      double[] plainFile = new double[runs];
      dev.hangar.config.DurableStoreConfig.S3 storeConfig = (dev.hangar.config.DurableStoreConfig.S3) config.durableStores().get(0);
      dev.hangar.tiers.durable.S3DurableStore rawStore = new dev.hangar.tiers.durable.S3DurableStore(storeConfig);
      byte[] payload = new byte[(int) body];
      new java.util.Random(1).nextBytes(payload);
      for (int i = -warmup; i < runs; i++) {
        long t0 = System.nanoTime();
        s3.putObject(b -> b.bucket("bench").key("plain/object"), software.amazon.awssdk.core.sync.RequestBody.fromBytes(payload));
        long t1 = System.nanoTime();
        Path file = work.resolve("plain.bin");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
          java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(payload);
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
          ch.force(true);
        }
        long t2 = System.nanoTime();
        try (dev.hangar.tiers.durable.DurableStore.ObjectUpload up = rawStore.create("plain/multipart")) {
          up.stream().write(payload);
          up.commit();
        }
        long t3 = System.nanoTime();
        if (i >= 0) {
          plainPut[i] = body / ((t1 - t0) / 1e9) / 1e9;
          plainFile[i] = body / ((t2 - t1) / 1e9) / 1e9;
          multipart[i] = body / ((t3 - t2) / 1e9) / 1e9;
          System.out.printf(Locale.ROOT, "  round %d plain S3 PUT %.3f GB/s, the same bytes through Hangar's multipart writer %.3f GB/s,"
              + " plain file write+fsync %.3f GB/s%n", i + 1, plainPut[i], multipart[i], plainFile[i]);
        }
      }
      rawStore.close();
      try (HangarServer server = HangarServer.start(config);
          FlightClient client = FlightClient.builder(allocator, server.location()).build()) {
        for (int i = -warmup; i < runs; i++) {
          for (int k = 0; k < CLASSES.size(); k++) {
            String c = CLASSES.get((Math.max(i, 0) + k) % CLASSES.size()); // rotate who goes first
            long t0 = System.nanoTime();
            TierThroughputBench.put(client, allocator, data, c + "/flight");
            long t1 = System.nanoTime();
            server.store().flushWeak(Duration.ofMinutes(5)); // polls every 20 ms: no core burnt waiting
            long t2 = System.nanoTime();
            if (i >= 0) {
              ack.get(c)[i] = body / ((t1 - t0) / 1e9) / 1e9;
              landed.get(c)[i] = body / ((t2 - t0) / 1e9) / 1e9;
              System.out.printf(Locale.ROOT, "  round %d %-10s acknowledged %.3f GB/s, durable %.3f GB/s%n", i + 1, c, ack.get(c)[i],
                  landed.get(c)[i]);
            }
          }
        }
      }
      double[] restore = new double[runs];
      double[] plainGet = new double[runs];
      double[] freshGet = new double[runs];
      double[] warmGet = new double[runs];
      for (int i = 0; i < runs; i++) {
        long t0 = System.nanoTime();
        long bytes = 0;
        try (InputStream in = s3.getObject(b -> b.bucket("bench").key("hangar/strong-s3/flight.arrow"))) {
          byte[] buffer = new byte[1 << 20];
          for (int n; (n = in.read(buffer)) > 0; ) {
            bytes += n;
          }
        }
        long t1 = System.nanoTime();
        plainGet[i] = bytes / ((t1 - t0) / 1e9) / 1e9;
        // The same GET landing in fresh direct memory, as a cache's copy must (first-touch page faults).
        long f0 = System.nanoTime();
        java.nio.ByteBuffer fresh = java.nio.ByteBuffer.allocateDirect((int) bytes);
        try (InputStream in = s3.getObject(b -> b.bucket("bench").key("hangar/strong-s3/flight.arrow"));
            java.nio.channels.ReadableByteChannel ch = java.nio.channels.Channels.newChannel(in)) {
          while (fresh.hasRemaining() && ch.read(fresh) >= 0) {
            // fill
          }
        }
        freshGet[i] = bytes / ((System.nanoTime() - f0) / 1e9) / 1e9;
        try (HangarServer server = HangarServer.start(config); // a restart: every tier empty
            FlightClient client = FlightClient.builder(allocator, server.location()).build()) {
          long t2 = System.nanoTime();
          long rows = TierThroughputBench.get(client, "strong-s3/flight");
          long t3 = System.nanoTime();
          TierThroughputBench.get(client, "strong-s3/flight");
          long t4 = System.nanoTime();
          if (rows != data.stream().mapToLong(ArrowRecordBatch::getLength).sum()) {
            throw new IllegalStateException("restored " + rows + " rows");
          }
          restore[i] = body / ((t3 - t2) / 1e9) / 1e9;
          warmGet[i] = body / ((t4 - t3) / 1e9) / 1e9;
          client.doAction(new Action("stats")).forEachRemaining(r -> { });
        }
        System.out.printf(Locale.ROOT, "  round %d plain S3 GET %.3f GB/s (into fresh memory %.3f GB/s), first DoGet after restart (restore)"
            + " %.3f GB/s, second DoGet %.3f GB/s%n", i + 1, plainGet[i], freshGet[i], restore[i], warmGet[i]);
      }
      data.forEach(ArrowRecordBatch::close);

      double none = FlightThroughputBench.median(ack.get("none"));
      System.out.printf(Locale.ROOT, "%n%-10s %16s %10s %16s %10s%n", "class", "ack GB/s", "vs none", "durable GB/s", "vs none");
      for (String c : CLASSES) {
        double a = FlightThroughputBench.median(ack.get(c));
        double l = FlightThroughputBench.median(landed.get(c));
        System.out.printf(Locale.ROOT, "%-10s %16.3f %10.2f %16.3f %10.2f%n", c, a, a / none, l, l / none);
      }
      double pp = FlightThroughputBench.median(plainPut);
      double pf = FlightThroughputBench.median(plainFile);
      double mp = FlightThroughputBench.median(multipart);
      System.out.printf(Locale.ROOT, "%nthe same bytes through Hangar's S3 multipart writer (%s parts, %d in flight), no Flight, no Arrow: %.3f GB/s"
          + " (strong-s3 / it = %.2f; it / plain PUT = %.2f)", dev.hangar.config.Sizes.format(storeConfig.partSize()), storeConfig.writers(), mp,
          FlightThroughputBench.median(ack.get("strong-s3")) / mp, mp / pp);
      System.out.printf(Locale.ROOT, "%nbaselines without Hangar: plain S3 PUT of %.0f MiB %.3f GB/s (strong-s3 / it = %.2f);"
          + " plain file write+fsync %.3f GB/s (strong-fs / it = %.2f)%n", body / 1048576.0, pp,
          FlightThroughputBench.median(ack.get("strong-s3")) / pp, pf, FlightThroughputBench.median(ack.get("strong-fs")) / pf);
      double r = FlightThroughputBench.median(restore);
      double g = FlightThroughputBench.median(plainGet);
      double fg = FlightThroughputBench.median(freshGet);
      System.out.printf(Locale.ROOT, "%nrestore (first DoGet after restart) %.3f GB/s; plain S3 GET of the object %.3f GB/s (ratio %.2f);"
          + " the GET into fresh direct memory %.3f GB/s (ratio %.2f); second DoGet (memory) %.3f GB/s%n", r, g, r / g, fg, r / fg,
          FlightThroughputBench.median(warmGet));
    } finally {
      proxy.stop();
      deleteTree(work);
    }
  }

  private static String yaml(URI endpoint, Path fs, long mib) {
    StringBuilder y = new StringBuilder();
    y.append("server: {port: 0}\nstorage: {memory: {capacity: ").append(mib * 8).append("MiB}}\n");
    y.append("durableStores:\n");
    y.append("  - {id: s3, type: s3, bucket: bench, endpoint: ").append(endpoint)
        .append(", region: us-east-1, pathStyle: true, credentials: {accessKeyId: ").append(KEY).append(", secretAccessKey: ")
        .append(SECRET).append("}}\n");
    y.append("  - {id: fs, type: filesystem, path: ").append(fs).append("}\n");
    y.append("storageClasses:\n  - {prefix: \"\", tiers: [{storage: memory}]}\n");
    for (String c : CLASSES.subList(1, CLASSES.size())) {
      String[] parts = c.split("-");
      y.append("  - {prefix: ").append(c).append("/, durability: ").append(parts[0]).append(", durableStore: ").append(parts[1])
          .append(", durablePrefix: hangar, tiers: [{storage: memory}]}\n");
    }
    return y.toString();
  }

  private static void deleteTree(Path root) throws java.io.IOException {
    try (var paths = Files.walk(root)) {
      List<Path> all = new ArrayList<>(paths.toList());
      java.util.Collections.reverse(all);
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }

  private DurabilityBench() {}
}
