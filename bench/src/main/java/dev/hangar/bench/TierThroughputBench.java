package dev.hangar.bench;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.rounding.SegmentRoundingPolicy;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;

/**
 * DoPut and DoGet of a ~1 GiB flight from each Hangar storage type, against a bare in-memory Java
 * Flight producer and the simplest pyarrow Flight server started in the same run, each with a Java
 * and a pyarrow client. Targets take turns in every round; medians of the measured rounds. After each
 * round, disk_mapped and memory are also read back to back in pairs, and the median of the pairs'
 * ratios is printed: on a noisy machine that compares the two more fairly than two medians taken
 * tens of seconds apart.
 *
 * <p>Usage: {@code bench/run-tiers.sh [--gib 1.0] [--runs 5] [--warmup 2]}
 */
public final class TierThroughputBench {
  private record Target(String name, String url, String path) {}

  /** Back-to-back disk_mapped/memory DoGet pairs per round. */
  private static final int PAIRS = 4;

  public static void main(String[] args) throws Exception {
    double gib = Double.parseDouble(FlightThroughputBench.option(args, "--gib", "1.0"));
    int runs = Integer.parseInt(FlightThroughputBench.option(args, "--runs", "5"));
    int warmup = Integer.parseInt(FlightThroughputBench.option(args, "--warmup", "2"));
    String python = FlightThroughputBench.option(args, "--python", ".venv/bin/python");
    Path scripts = Path.of(FlightThroughputBench.option(args, "--scripts", "bench/python"));
    Path dir = Files.createTempDirectory("hangar-bench");
    long capacityMiB = (long) Math.ceil(gib * 2.5 * 1024);
    HangarConfig config = HangarConfig.parse("""
        server: {port: 0}
        storage:
          memory: {capacity: %dMiB}
          disk_mapped: {path: %s, capacity: %dMiB}
          disk: {path: %s, capacity: %dMiB}
        storageClasses:
          - {prefix: mem/, tiers: [{storage: memory}]}
          - {prefix: mapped/, tiers: [{storage: disk_mapped}]}
          - {prefix: disk/, tiers: [{storage: disk}]}
        """.formatted(capacityMiB, dir.resolve("mapped"), capacityMiB, dir.resolve("disk"), capacityMiB), "bench", Map.of());

    Process pyServer = new ProcessBuilder(python, scripts.resolve("pyarrow_server.py").toString()).redirectErrorStream(true).start();
    Process pyClient = new ProcessBuilder(python, scripts.resolve("pyarrow_client.py").toString(), Double.toString(gib))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (BufferAllocator clientAllocator = new RootAllocator();
        BufferAllocator bareAllocator = new RootAllocator(org.apache.arrow.memory.AllocationListener.NOOP, Long.MAX_VALUE, new SegmentRoundingPolicy(4096));
        BareFlightProducer bare = new BareFlightProducer(bareAllocator);
        FlightServer bareServer = FlightServer.builder(bareAllocator, Location.forGrpcInsecure("127.0.0.1", 0), bare).build().start();
        HangarServer hangar = HangarServer.start(config)) {
      int pyPort = Integer.parseInt(new BufferedReader(new InputStreamReader(pyServer.getInputStream(), StandardCharsets.UTF_8)).readLine().trim());
      BufferedReader pyOut = new BufferedReader(new InputStreamReader(pyClient.getInputStream(), StandardCharsets.UTF_8));
      BufferedWriter pyIn = new BufferedWriter(new OutputStreamWriter(pyClient.getOutputStream(), StandardCharsets.UTF_8));
      String ready = pyOut.readLine();
      List<ArrowRecordBatch> data = FlightThroughputBench.generate(clientAllocator, (long) (gib * (1L << 30)));
      long body = data.stream().mapToLong(ArrowRecordBatch::computeBodyLength).sum();
      System.out.printf(Locale.ROOT, "flight: %d batches of 64Ki rows, Arrow body %.3f GiB (pyarrow client: %s); %d warm-up + %d rounds, medians%n",
          data.size(), body / (double) (1L << 30), ready, warmup, runs);

      String hangarUrl = "grpc://127.0.0.1:" + hangar.port();
      List<Target> targets = List.of(
          new Target("bare java", "grpc://127.0.0.1:" + bareServer.getPort(), "bench/flight"),
          new Target("pyarrow server", "grpc://127.0.0.1:" + pyPort, "bench/flight"),
          new Target("hangar memory", hangarUrl, "mem/flight"),
          new Target("hangar mapped", hangarUrl, "mapped/flight"),
          new Target("hangar disk", hangarUrl, "disk/flight"));
      Map<String, FlightClient> javaClients = new LinkedHashMap<>();
      for (Target t : targets) {
        if (!javaClients.containsKey(t.url())) {
          javaClients.put(t.url(), FlightClient.builder(clientAllocator, new Location(t.url())).build());
        }
      }
      // results[target][client][op][round]: client 0 = java, 1 = pyarrow; op 0 = put, 1 = get
      double[][][][] gbps = new double[targets.size()][2][2][runs];
      // disk_mapped against memory, DoGet only, in back-to-back pairs: [client][round * PAIRS + pair]
      Target memory = targets.get(2);
      Target mapped = targets.get(3);
      double[][] pairedGets = new double[2][runs * PAIRS];
      for (int round = -warmup; round < runs; round++) {
        for (int k = 0; k < targets.size(); k++) {
          int ti = Math.floorMod(round + k, targets.size());
          Target t = targets.get(ti);
          FlightClient c = javaClients.get(t.url());
          long faults0 = minorFaults();
          long t0 = System.nanoTime();
          put(c, clientAllocator, data, t.path());
          long t1 = System.nanoTime();
          long putFaults = minorFaults() - faults0;
          long rows = get(c, t.path());
          long t2 = System.nanoTime();
          check(rows, (long) data.size() * 64 * 1024, t.name());
          double pyPut = python(pyIn, pyOut, "put", t);
          double pyGet = python(pyIn, pyOut, "get", t);
          if (round >= 0) {
            gbps[ti][0][0][round] = body / ((t1 - t0) / 1e9) / 1e9;
            gbps[ti][0][1][round] = body / ((t2 - t1) / 1e9) / 1e9;
            gbps[ti][1][0][round] = body / pyPut / 1e9;
            gbps[ti][1][1][round] = body / pyGet / 1e9;
            System.out.printf(Locale.ROOT, "  round %d %-15s java put %.2f get %.2f | pyarrow put %.2f get %.2f GB/s | page faults in this JVM during the java put: %d%n",
                round + 1, t.name(), gbps[ti][0][0][round], gbps[ti][0][1][round], gbps[ti][1][0][round], gbps[ti][1][1][round], putFaults);
          }
        }
        if (round >= 0) {
          // Both flights are stored now. The same read of each, one right after the other, so that
          // the machine's drift falls on both alike; which goes first alternates.
          FlightClient c = javaClients.get(hangarUrl);
          for (int p = 0; p < PAIRS; p++) {
            boolean mappedFirst = p % 2 == 1;
            double[] java = new double[2];
            double[] py = new double[2];
            long[] rows = new long[2];
            for (int k = 0; k < 2; k++) {
              Target t = (k == 0) == mappedFirst ? mapped : memory;
              int slot = t == mapped ? 1 : 0;
              long t0 = System.nanoTime();
              rows[slot] = get(c, t.path());
              java[slot] = (System.nanoTime() - t0) / 1e9;
              py[slot] = python(pyIn, pyOut, "get", t);
            }
            check(rows[1], rows[0], mapped.name()); // both hold what the pyarrow client put last
            pairedGets[0][round * PAIRS + p] = java[0] / java[1]; // mapped throughput / memory throughput
            pairedGets[1][round * PAIRS + p] = py[0] / py[1];
          }
        }
      }
      for (FlightClient c : javaClients.values()) {
        c.close();
      }
      data.forEach(ArrowRecordBatch::close);

      double[][][] med = new double[targets.size()][2][2];
      for (int t = 0; t < targets.size(); t++) {
        for (int c = 0; c < 2; c++) {
          for (int o = 0; o < 2; o++) {
            med[t][c][o] = FlightThroughputBench.median(gbps[t][c][o]);
          }
        }
      }
      System.out.printf(Locale.ROOT, "%n%-16s %10s %10s %10s %10s%n", "GB/s (median)", "java put", "java get", "py put", "py get");
      for (int t = 0; t < targets.size(); t++) {
        System.out.printf(Locale.ROOT, "%-16s %10.3f %10.3f %10.3f %10.3f%n", targets.get(t).name(), med[t][0][0], med[t][0][1], med[t][1][0], med[t][1][1]);
      }
      System.out.printf(Locale.ROOT, "%nratios             java put   java get     py put     py get%n");
      ratio("memory / bare java", med[2], med[0]);
      ratio("memory / pyarrow", med[2], med[1]);
      ratio("mapped / memory", med[3], med[2]);
      ratio("disk / memory", med[4], med[2]);
      ratio("pyarrow / bare java", med[1], med[0]);
      System.out.printf(Locale.ROOT, "%nmapped / memory DoGet, median of %d back-to-back pairs: java %.2f, pyarrow %.2f (range java %.2f-%.2f, pyarrow %.2f-%.2f)%n",
          runs * PAIRS, FlightThroughputBench.median(pairedGets[0]), FlightThroughputBench.median(pairedGets[1]),
          java.util.Arrays.stream(pairedGets[0]).min().orElse(0), java.util.Arrays.stream(pairedGets[0]).max().orElse(0),
          java.util.Arrays.stream(pairedGets[1]).min().orElse(0), java.util.Arrays.stream(pairedGets[1]).max().orElse(0));
    } finally {
      pyClient.destroy();
      pyServer.destroy();
    }
  }

  /** Minor page faults of this process so far (Linux), or 0 where /proc is missing. */
  private static long minorFaults() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[7]); // minflt: field 10 of proc(5), 8th after the command name
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
  }

  private static void ratio(String name, double[][] a, double[][] b) {
    System.out.printf(Locale.ROOT, "%-18s %10.2f %10.2f %10.2f %10.2f%n", name, a[0][0] / b[0][0], a[0][1] / b[0][1], a[1][0] / b[1][0], a[1][1] / b[1][1]);
  }

  private static double python(BufferedWriter in, BufferedReader out, String op, Target t) throws Exception {
    in.write(op + " " + t.url() + " " + t.path() + "\n");
    in.flush();
    String[] reply = out.readLine().trim().split(" ");
    return Double.parseDouble(reply[0]);
  }

  private static void check(long rows, long expected, String name) {
    if (rows != expected) {
      throw new IllegalStateException(name + " returned " + rows + " rows, expected " + expected);
    }
  }

  /** Puts {@code data} at {@code path} with client-side backpressure; returns the PutResult metadata, if any. */
  static byte[] put(FlightClient client, BufferAllocator allocator, List<ArrowRecordBatch> data, String path) throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(FlightThroughputBench.SCHEMA, allocator);
        SyncPutListener results = new SyncPutListener()) {
      VectorLoader loader = new VectorLoader(root);
      FlightClient.ClientStreamListener listener = client.startPut(FlightDescriptor.path(path), root, results);
      for (ArrowRecordBatch batch : data) {
        loader.load(batch);
        while (!listener.isReady()) {
          LockSupport.parkNanos(20_000); // backpressure, without spinning a core
        }
        listener.putNext();
      }
      listener.completed();
      listener.getResult();
      try (org.apache.arrow.flight.PutResult r = results.poll(0, java.util.concurrent.TimeUnit.SECONDS)) {
        if (r == null || r.getApplicationMetadata() == null) {
          return null;
        }
        byte[] bytes = new byte[(int) r.getApplicationMetadata().readableBytes()];
        r.getApplicationMetadata().getBytes(0, bytes);
        return bytes;
      }
    }
  }

  static long get(FlightClient client, String path) throws Exception {
    long rows = 0;
    try (FlightStream stream = client.getStream(new Ticket(path.getBytes(StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        rows += stream.getRoot().getRowCount();
      }
    }
    return rows;
  }

  private TierThroughputBench() {}
}
