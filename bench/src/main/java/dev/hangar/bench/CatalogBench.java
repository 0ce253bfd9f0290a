package dev.hangar.bench;

import dev.hangar.config.Durability;
import dev.hangar.config.HangarConfig;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.server.HangarServer;
import dev.hangar.storage.StorageClass;
import dev.hangar.storage.Upload;
import dev.hangar.storage.catalog.Catalog;
import dev.hangar.storage.catalog.DurableEntry;
import dev.hangar.storage.expiry.DueQueue;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.JavaMessages;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The catalog at scale (issue 13). Part 1: heap per durable-only entry, with its TTL in the due
 * queue, for {@code --entries} synthetic flights beyond their path strings. Part 2: ListFlights of
 * {@code --flights} one-row flights over Flight RPC from a Java client, flights per second.
 */
public final class CatalogBench {
  public static void main(String[] args) throws Exception {
    int entries = Integer.parseInt(FlightThroughputBench.option(args, "--entries", "1000000"));
    int flights = Integer.parseInt(FlightThroughputBench.option(args, "--flights", "1000000"));
    String python = FlightThroughputBench.option(args, "--python", ".venv/bin/python");
    if (entries > 0) {
      entryCost(entries);
    }
    listing(flights, python);
  }

  private static String path(int i) {
    return "cache/tenant" + (i % 100) + "/source" + (i % 1000) + "/report" + i;
  }

  private static void entryCost(int n) throws InterruptedException {
    Schema schema = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true)), Field.nullable("s", ArrowType.Utf8.INSTANCE)));
    FlightSchema shared = JavaMessages.schema(schema);
    StorageClass sc = new StorageClass(new StorageClassConfig("cache/", Durability.STRONG, Optional.of("s3"), "", Optional.of(Duration.ofDays(7)),
        1, List.of(TierConfig.of(StorageType.MEMORY))));
    List<String> paths = new ArrayList<>(n);
    long base = heap();
    for (int i = 0; i < n; i++) {
      paths.add(path(i));
    }
    long withPaths = heap();
    Catalog catalog = new Catalog(List.of(StorageType.MEMORY));
    DueQueue due = new DueQueue();
    catalog.onEnter(e -> ((DurableEntry) e).expiresAt().ifPresent(at -> due.schedule(at, e.path())));
    Instant t = Instant.parse("2026-12-01T00:00:00Z");
    for (int i = 0; i < n; i++) {
      Instant committed = t.plusMillis(i);
      catalog.addIfAbsent(DurableEntry.resolved(paths.get(i), sc, catalog.schemas().intern(shared), 1000, 16_000, 1, committed,
          Optional.of(committed.plus(Duration.ofDays(7))), 17_000, committed, null));
    }
    long withCatalog = heap();
    double perPath = (withPaths - base) / (double) n;
    double perEntry = (withCatalog - withPaths) / (double) n;
    System.out.printf("catalog: %,d durable-only entries with TTL; paths %.0f B each; entry + due-queue hint %.0f B each beyond the path"
        + " (10M entries: %.2f GiB)%n", catalog.size(), perPath, perEntry, perEntry * 10_000_000 / (1L << 30));
    if (due.size() != n || catalog.size() != n) {
      throw new IllegalStateException("lost entries");
    }
  }

  private static void listing(int n, String python) throws Exception {
    HangarConfig config = HangarConfig.parse("""
        server: {port: 0}
        storage: {memory: {capacity: 4GiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        """, "bench", Map.of());
    Schema schema = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));
    try (HangarServer hangar = HangarServer.start(config); BufferAllocator allocator = new RootAllocator();
        FlightClient client = FlightClient.builder(allocator, hangar.location()).build()) {
      long t0 = System.nanoTime();
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
        ((BigIntVector) root.getVector(0)).allocateNew(1);
        ((BigIntVector) root.getVector(0)).set(0, 42);
        root.setRowCount(1);
        for (int i = 0; i < n; i++) {
          try (Upload u = hangar.store().beginPut(path(i), schema, OptionalLong.empty())) {
            u.append(new VectorUnloader(root).getRecordBatch());
            u.commit();
          }
        }
      }
      System.out.printf("listing: %,d one-row flights put in-process in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
      for (int round = 1; round <= 2; round++) {
        long start = System.nanoTime();
        long count = 0;
        for (FlightInfo info : client.listFlights(new Criteria(new byte[0]))) {
          count += info.getRecords() > 0 ? 1 : 0;
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("listing round %d: ListFlights streamed %,d flights in %.2f s = %,.0f flights/s (Arrow Java client decoding each FlightInfo)%n",
            round, count, secs, count / secs);
      }
      // The same call from a bare gRPC stub, which parses each FlightInfo protobuf but not its schema:
      // what the server can stream, without the Arrow Java client's per-flight Schema decoding.
      io.grpc.ManagedChannel channel = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", hangar.port()).usePlaintext().build();
      try {
        var stub = org.apache.arrow.flight.impl.FlightServiceGrpc.newBlockingStub(channel);
        for (int round = 1; round <= 2; round++) {
          long start = System.nanoTime();
          long count = 0;
          for (var it = stub.listFlights(org.apache.arrow.flight.impl.Flight.Criteria.getDefaultInstance()); it.hasNext(); ) {
            count += it.next().getTotalRecords() > 0 ? 1 : 0;
          }
          double secs = (System.nanoTime() - start) / 1e9;
          System.out.printf("listing raw round %d: ListFlights streamed %,d flights in %.2f s = %,.0f flights/s (bare gRPC stub)%n",
              round, count, secs, count / secs);
        }
        for (int round = 1; round <= 2; round++) {
          long start = System.nanoTime();
          long count = asyncList(channel);
          double secs = (System.nanoTime() - start) / 1e9;
          System.out.printf("listing async round %d: ListFlights streamed %,d flights in %.2f s = %,.0f flights/s"
              + " (async gRPC stub asking for 4,096 messages at a time)%n", round, count, secs, count / secs);
        }
      } finally {
        channel.shutdownNow();
      }
      // pyarrow's C++ client: the server's rate without a Java client's per-message cost.
      Process py = new ProcessBuilder(python, "bench/python/list_flights.py", "grpc://127.0.0.1:" + hangar.port(), "2")
          .redirectErrorStream(true).start();
      try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(py.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
        int round = 0;
        for (String line; (line = lines.readLine()) != null; ) {
          String[] f = line.split(" ");
          if (f.length == 3 && f[0].equals("list")) {
            long count = Long.parseLong(f[1]);
            double secs = Double.parseDouble(f[2]);
            System.out.printf("listing pyarrow round %d: ListFlights streamed %,d flights in %.2f s = %,.0f flights/s (pyarrow client)%n",
                ++round, count, secs, count / secs);
          } else {
            System.out.println("list_flights.py: " + line);
          }
        }
      }
      if (py.waitFor() != 0) {
        throw new IllegalStateException("list_flights.py failed");
      }
    }
  }

  /**
   * ListFlights through an async stub that asks for messages 4,096 at a time. The blocking stub the
   * Arrow Java client uses asks for one message at a time and waits for each, which caps any
   * server at the client's round trips between two threads.
   */
  private static long asyncList(io.grpc.Channel channel) throws InterruptedException {
    var done = new java.util.concurrent.CountDownLatch(1);
    long[] count = {0};
    Throwable[] failure = {null};
    org.apache.arrow.flight.impl.FlightServiceGrpc.newStub(channel).listFlights(
        org.apache.arrow.flight.impl.Flight.Criteria.getDefaultInstance(),
        new io.grpc.stub.ClientResponseObserver<org.apache.arrow.flight.impl.Flight.Criteria, org.apache.arrow.flight.impl.Flight.FlightInfo>() {
          private io.grpc.stub.ClientCallStreamObserver<?> call;
          private int window;

          @Override
          public void beforeStart(io.grpc.stub.ClientCallStreamObserver<org.apache.arrow.flight.impl.Flight.Criteria> requests) {
            call = requests;
            requests.disableAutoRequestWithInitial(4096);
            window = 4096;
          }

          @Override
          public void onNext(org.apache.arrow.flight.impl.Flight.FlightInfo info) {
            count[0] += info.getTotalRecords() > 0 ? 1 : 0;
            if (--window == 2048) {
              call.request(2048);
              window += 2048;
            }
          }

          @Override
          public void onError(Throwable t) {
            failure[0] = t;
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    done.await();
    if (failure[0] != null) {
      throw new IllegalStateException("ListFlights failed", failure[0]);
    }
    return count[0];
  }

  private static long heap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
