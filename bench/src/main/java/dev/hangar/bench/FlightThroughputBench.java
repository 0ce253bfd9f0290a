package dev.hangar.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.rounding.SegmentRoundingPolicy;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * DoPut and DoGet throughput of one ~1 GiB flight (64Ki-row batches of int64, float64, utf8) from
 * Hangar's memory tier, against a bare in-memory Flight producer started in the same run, with a
 * Java client. Warm runs; medians; reported as Hangar / bare ratios.
 *
 * <p>Usage: {@code bench/run.sh [--gib 1.0] [--runs 9] [--warmup 3]}
 */
public final class FlightThroughputBench {
  private static final int ROWS = 64 * 1024;
  static final Schema SCHEMA = new Schema(List.of(
      Field.nullable("id", new ArrowType.Int(64, true)),
      Field.nullable("value", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
      Field.nullable("label", ArrowType.Utf8.INSTANCE)));

  public static void main(String[] args) throws Exception {
    double gib = Double.parseDouble(option(args, "--gib", "1.0"));
    int runs = Integer.parseInt(option(args, "--runs", "9"));
    int warmup = Integer.parseInt(option(args, "--warmup", "3"));
    try (BufferAllocator clientAllocator = new RootAllocator()) {
      List<ArrowRecordBatch> data = generate(clientAllocator, (long) (gib * (1L << 30)));
      long body = data.stream().mapToLong(ArrowRecordBatch::computeBodyLength).sum();
      System.out.printf(Locale.ROOT, "flight: %d batches of %d rows, Arrow body %.3f GiB; %d warm-up and %d measured rounds each, medians%n",
          data.size(), ROWS, body / (double) (1L << 30), warmup, runs);

      HangarConfig config = HangarConfig.parse("""
          server: {port: 0}
          storage: {memory: {capacity: %dMiB}}
          storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
          """.formatted((long) Math.ceil(gib * 2.5 * 1024)), "bench", Map.of());
      Result bare;
      Result hangar;
      JsonNode putResult;
      long accounted;
      try (BufferAllocator serverAllocator = new RootAllocator(
              org.apache.arrow.memory.AllocationListener.NOOP, Long.MAX_VALUE, new SegmentRoundingPolicy(4096));
          BareFlightProducer producer = new BareFlightProducer(serverAllocator);
          FlightServer bareServer = FlightServer.builder(serverAllocator, Location.forGrpcInsecure("127.0.0.1", 0), producer).build().start();
          FlightClient bareClient = FlightClient.builder(clientAllocator, Location.forGrpcInsecure("127.0.0.1", bareServer.getPort())).build();
          HangarServer hangarServer = HangarServer.start(config);
          FlightClient hangarClient = FlightClient.builder(clientAllocator, hangarServer.location()).build()) {
        // Both servers run side by side and take turns in every round (alternating who goes first),
        // so JIT warm-up and machine noise fall on both alike.
        List<FlightClient> clients = List.of(bareClient, hangarClient);
        for (int w = 0; w < warmup; w++) { // until allocator pools and JIT settle
          for (FlightClient c : clients) {
            put(c, clientAllocator, data);
            get(c);
          }
        }
        double[][] puts = new double[2][runs];
        double[][] gets = new double[2][runs];
        for (int i = 0; i < runs; i++) {
          for (int k = 0; k < 2; k++) {
            int which = (i + k) % 2;
            FlightClient c = clients.get(which);
            long t0 = System.nanoTime();
            put(c, clientAllocator, data);
            long t1 = System.nanoTime();
            long rows = get(c);
            long t2 = System.nanoTime();
            if (rows != (long) data.size() * ROWS) {
              throw new IllegalStateException("server returned " + rows + " rows");
            }
            puts[which][i] = body / ((t1 - t0) / 1e9) / 1e9;
            gets[which][i] = body / ((t2 - t1) / 1e9) / 1e9;
            System.out.printf(Locale.ROOT, "  round %d %-14s DoPut %.3f GB/s, DoGet %.3f GB/s%n",
                i + 1, which == 0 ? "bare producer" : "hangar memory", puts[which][i], gets[which][i]);
          }
        }
        bare = new Result(median(puts[0]), median(gets[0]));
        hangar = new Result(median(puts[1]), median(gets[1]));
        putResult = put(hangarClient, clientAllocator, data);
        accounted = hangarServer.memoryAllocatedBytes();
      }
      data.forEach(ArrowRecordBatch::close);

      System.out.println();
      System.out.printf(Locale.ROOT, "%-14s %12s %12s%n", "", "DoPut GB/s", "DoGet GB/s");
      System.out.printf(Locale.ROOT, "%-14s %12.3f %12.3f%n", "bare producer", bare.put, bare.get);
      System.out.printf(Locale.ROOT, "%-14s %12.3f %12.3f%n", "hangar memory", hangar.put, hangar.get);
      System.out.printf(Locale.ROOT, "%-14s %12.3f %12.3f%n", "ratio", hangar.put / bare.put, hangar.get / bare.get);
      System.out.printf(Locale.ROOT, "%nmemory tier: flight accounted %d bytes for an Arrow body of %d bytes (%.4fx); allocator holds %d%n",
          putResult.get("bytes").asLong(), putResult.get("bodyBytes").asLong(),
          putResult.get("bytes").asDouble() / putResult.get("bodyBytes").asDouble(), accounted);
    }
  }

  private record Result(double put, double get) {}

  private static JsonNode put(FlightClient client, BufferAllocator allocator, List<ArrowRecordBatch> data) throws Exception {
    byte[] metadata = TierThroughputBench.put(client, allocator, data, "bench/flight");
    return metadata == null ? new ObjectMapper().createObjectNode() : new ObjectMapper().readTree(metadata);
  }

  private static long get(FlightClient client) throws Exception {
    return TierThroughputBench.get(client, "bench/flight");
  }

  static List<ArrowRecordBatch> generate(BufferAllocator allocator, long targetBytes) {
    List<ArrowRecordBatch> batches = new ArrayList<>();
    long bytes = 0;
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      BigIntVector id = (BigIntVector) root.getVector(0);
      Float8Vector value = (Float8Vector) root.getVector(1);
      VarCharVector label = (VarCharVector) root.getVector(2);
      long n = 0;
      while (bytes < targetBytes) {
        root.allocateNew();
        for (int r = 0; r < ROWS; r++, n++) {
          id.setSafe(r, n);
          value.setSafe(r, n * 0.5);
          label.setSafe(r, ("label-" + (n % 100_000)).getBytes(StandardCharsets.UTF_8));
        }
        root.setRowCount(ROWS);
        ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch();
        bytes += batch.computeBodyLength();
        batches.add(batch);
      }
    }
    return batches;
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  static String option(String[] args, String name, String fallback) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  private FlightThroughputBench() {}
}
