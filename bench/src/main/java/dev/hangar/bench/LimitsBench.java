package dev.hangar.bench;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What limit policies cost a put, over Flight RPC on loopback, all variants in one JVM and one run:
 *
 * <ul>
 *   <li>{@code baseline}: no policies;
 *   <li>{@code quotas}: a hierarchical, a segmented and a standard policy that admit every put, so
 *       each put is reserved, charged per batch and settled in four scopes;
 *   <li>{@code evict-N}: a segmented {@code ephemeral} scope kept full with N resident flights, so
 *       every put first evicts the scope's least recently used flight.
 * </ul>
 *
 * Each round runs every variant once (in turn, so they share the machine's noise); reported are
 * puts per second, the median over rounds, and each variant's ratio to the baseline.
 *
 * <p>Usage: {@code bench/run-limits.sh [--clients 8] [--puts 4000] [--batches 4] [--rows 1024]
 * [--resident 100,5000] [--runs 5]}
 */
public final class LimitsBench {
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));

  public static void main(String[] args) throws Exception {
    int clients = Integer.parseInt(FlightThroughputBench.option(args, "--clients", "8"));
    int puts = Integer.parseInt(FlightThroughputBench.option(args, "--puts", "4000"));
    int batches = Integer.parseInt(FlightThroughputBench.option(args, "--batches", "4"));
    int rows = Integer.parseInt(FlightThroughputBench.option(args, "--rows", "1024"));
    int runs = Integer.parseInt(FlightThroughputBench.option(args, "--runs", "5"));
    List<Integer> residents = new ArrayList<>();
    for (String r : FlightThroughputBench.option(args, "--resident", "100,5000").split(",")) {
      residents.add(Integer.parseInt(r.trim()));
    }
    long body = batches * (8L * rows + ((rows + 7) / 8 + 7) / 8 * 8);
    System.out.printf(Locale.ROOT, "limits bench: %d clients, %d puts a round of %d batches x %d rows (%d body bytes a flight), %d rounds%n",
        clients, puts, batches, rows, body, runs);

    Map<String, HangarServer> servers = new LinkedHashMap<>();
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    try (BufferAllocator allocator = new RootAllocator()) {
      servers.put("baseline", start(""));
      servers.put("quotas", start("""
          limitPolicies:
            - type: hierarchical
              storageClasses: [cache/]
              levels: [tenant, dataSource]
              default: {total: 1TiB, flights: 100000000}
              overrides: {t1: {total: 1TiB, children: {d1: {total: 1TiB}}}}
            - {type: segmented, storageClasses: [cache/], segment: 1, total: 1TiB}
            - {type: standard, storageClasses: [cache/], flights: 100000000}
          """));
      for (int resident : residents) {
        HangarServer s = start("""
            limitPolicies:
              - {type: segmented, storageClasses: [cache/], segment: 1, ephemeral: %d}
            """.formatted(resident * body));
        fill(s, allocator, resident, batches, rows);
        servers.put("evict-" + resident, s);
      }
      servers.keySet().forEach(k -> rates.put(k, new ArrayList<>()));
      AtomicLong sequence = new AtomicLong();
      for (int run = 0; run <= runs; run++) { // round 0 warms up
        for (Map.Entry<String, HangarServer> e : servers.entrySet()) {
          boolean evicting = e.getKey().startsWith("evict-");
          double rate = round(e.getValue(), allocator, clients, puts, batches, rows, evicting, sequence);
          if (run > 0) {
            rates.get(e.getKey()).add(rate);
          }
        }
      }
    } finally {
      for (HangarServer s : servers.values()) {
        s.close();
      }
    }
    double baseline = median(rates.get("baseline"));
    System.out.printf(Locale.ROOT, "%-14s %12s %10s   %s%n", "variant", "puts/s", "x base", "rounds");
    for (Map.Entry<String, List<Double>> e : rates.entrySet()) {
      double m = median(e.getValue());
      System.out.printf(Locale.ROOT, "%-14s %12.0f %10.2f   %s%n", e.getKey(), m, m / baseline,
          e.getValue().stream().map(r -> String.format(Locale.ROOT, "%.0f", r)).toList());
    }
  }

  private static HangarServer start(String policies) throws Exception {
    String yaml = """
        server: {port: 0}
        storage: {memory: {capacity: 2GiB}}
        storageClasses: [{prefix: cache/, tiers: [{storage: memory}]}]
        """ + policies;
    return HangarServer.start(HangarConfig.parse(yaml, "limits bench", Map.of()));
  }

  /** Puts {@code resident} flights into scope cache/t0, filling its ephemeral limit. */
  private static void fill(HangarServer s, BufferAllocator allocator, int resident, int batches, int rows) throws Exception {
    try (FlightClient client = FlightClient.builder(allocator, s.location()).build();
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
      for (int i = 0; i < resident; i++) {
        put(client, root, "cache/t0/resident/" + i, batches, rows);
      }
    }
  }

  /**
   * One round: {@code puts} puts from {@code clients} threads; returns puts per second. Paths cycle
   * over 400 per tenant (overwrites) or, when {@code evicting}, are all new in scope cache/t0.
   */
  private static double round(HangarServer s, BufferAllocator allocator, int clients, int puts, int batches, int rows, boolean evicting,
      AtomicLong sequence) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<?>> workers = new ArrayList<>();
      long start = System.nanoTime();
      for (int c = 0; c < clients; c++) {
        int client = c;
        workers.add(pool.submit(() -> {
          try (FlightClient flight = FlightClient.builder(allocator, s.location()).build();
              VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
            for (int i = client; i < puts; i += clients) {
              String path = evicting ? "cache/t0/new/" + sequence.incrementAndGet() : "cache/t" + (i % 4) + "/d" + (i % 3) + "/f" + (i % 100);
              put(flight, root, path, batches, rows);
            }
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get();
      }
      return puts / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdown();
    }
  }

  private static void put(FlightClient client, VectorSchemaRoot root, String path, int batches, int rows) {
    SyncPutListener result = new SyncPutListener();
    FlightClient.ClientStreamListener listener = client.startPut(FlightDescriptor.path(path), root, result);
    BigIntVector v = (BigIntVector) root.getVector(0);
    for (int b = 0; b < batches; b++) {
      v.allocateNew(rows);
      for (int r = 0; r < rows; r++) {
        v.set(r, r);
      }
      root.setRowCount(rows);
      listener.putNext();
    }
    listener.completed();
    listener.getResult();
    result.close();
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
