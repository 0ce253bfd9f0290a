package dev.hangar.bench;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.Location;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Small flights (~1 KiB), DoGet and DoPut with 1 and 8 pyarrow client threads, against Hangar (memory
 * and disk_mapped), the simplest pyarrow (C++) Flight server and a bare Arrow Java producer, all started
 * in this run. The client is {@code bench/python/small_flights.py}; this prints its raw lines, then the
 * medians over rounds and the ratios the data-plane issue sets targets for.
 */
public final class SmallFlightBench {
  public static void main(String[] args) throws Exception {
    String python = FlightThroughputBench.option(args, "--python", ".venv/bin/python");
    Path scripts = Path.of(FlightThroughputBench.option(args, "--scripts", "bench/python"));
    String seconds = FlightThroughputBench.option(args, "--seconds", "3");
    String rounds = FlightThroughputBench.option(args, "--rounds", "3");
    Path dir = Files.createTempDirectory("hangar-bench");
    HangarConfig config = HangarConfig.parse("""
        server: {port: 0}
        storage:
          memory: {capacity: 1GiB}
          disk_mapped: {path: %s, capacity: 1GiB}
        storageClasses:
          - {prefix: mem/, tiers: [{storage: memory}]}
          - {prefix: mapped/, tiers: [{storage: disk_mapped}]}
        """.formatted(dir.resolve("mapped")), "bench", Map.of());
    Process pyServer = new ProcessBuilder(python, scripts.resolve("pyarrow_server.py").toString()).redirectErrorStream(true).start();
    try (BufferAllocator bareAllocator = new RootAllocator();
        BareFlightProducer bare = new BareFlightProducer(bareAllocator);
        FlightServer bareServer = FlightServer.builder(bareAllocator, Location.forGrpcInsecure("127.0.0.1", 0), bare).build().start();
        HangarServer hangar = HangarServer.start(config)) {
      int pyPort = Integer.parseInt(new BufferedReader(new InputStreamReader(pyServer.getInputStream(), StandardCharsets.UTF_8)).readLine().trim());
      String h = "grpc://127.0.0.1:" + hangar.port();
      List<String> command = new ArrayList<>(List.of(python, scripts.resolve("small_flights.py").toString(),
          "--seconds", seconds, "--rounds", rounds,
          "hangar-memory=" + h + "=mem/", "hangar-mapped=" + h + "=mapped/",
          "pyarrow-server=grpc://127.0.0.1:" + pyPort + "=bench/",
          "bare-java=grpc://127.0.0.1:" + bareServer.getPort() + "=bench/"));
      Process client = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Map<String, List<double[]>> results = results(client, 3); // "target op threads" -> [ops, p50, p99] per round
      if (client.waitFor() != 0) {
        throw new IllegalStateException("small_flights.py failed");
      }
      System.out.println();
      System.out.println("| target | op | threads | ops/s | p50 ms | p99 ms |");
      System.out.println("|---|---|---|---|---|---|");
      results.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
        String[] k = e.getKey().split(" ");
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %.0f | %.2f | %.2f |%n", k[0], k[1], k[2], median(e.getValue(), 0),
            median(e.getValue(), 1), median(e.getValue(), 2));
      });
      System.out.println();
      System.out.println("| ratio (median ops/s) | get 1 | get 8 | put 1 | put 8 |");
      System.out.println("|---|---|---|---|---|");
      for (String[] pair : new String[][] {{"hangar-memory", "pyarrow-server"}, {"hangar-memory", "bare-java"},
          {"hangar-mapped", "hangar-memory"}, {"pyarrow-server", "bare-java"}}) {
        StringBuilder row = new StringBuilder("| " + pair[0] + " / " + pair[1] + " |");
        for (String op : new String[] {"get 1", "get 8", "put 1", "put 8"}) {
          double a = median(results.get(pair[0] + " " + op), 0);
          double b = median(results.get(pair[1] + " " + op), 0);
          row.append(String.format(Locale.ROOT, " %.2f |", a / b));
        }
        System.out.println(row);
      }
    } finally {
      pyServer.destroy();
    }
  }

  /**
   * Reads a benchmark client's lines as it prints them (echoed here; '#' lines are comments): the first
   * {@code keyFields} fields name a measurement, the last three are ops/s, p50 and p99 of one round.
   */
  static Map<String, List<double[]>> results(Process client, int keyFields) throws java.io.IOException {
    Map<String, List<double[]>> results = new LinkedHashMap<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        System.out.println(line);
        if (line.startsWith("#")) {
          continue;
        }
        String[] f = line.trim().split(" ");
        results.computeIfAbsent(String.join(" ", java.util.Arrays.copyOf(f, keyFields)), k -> new ArrayList<>())
            .add(new double[] {Double.parseDouble(f[keyFields]), Double.parseDouble(f[keyFields + 1]), Double.parseDouble(f[keyFields + 2])});
      }
    }
    return results;
  }

  /** The median of one column of per-round results. */
  static double median(List<double[]> rows, int column) {
    double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
