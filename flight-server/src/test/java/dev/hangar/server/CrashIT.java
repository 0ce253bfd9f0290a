package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.tiers.durable.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Hangar server in a child process takes strong puts (and overwrites) from concurrent clients,
 * to S3 (S3Proxy in this JVM) and to a directory, and is SIGKILLed mid-load; after a restart every
 * acknowledged flight reads back identical (SHA-256 of its content), and every flight visible is
 * whole: the last acknowledged version of its path, or the one put in flight when the server died.
 */
class CrashIT {
  private static final Path ROOT = PyTest.ROOT;
  private static final int ROUNDS = 3;
  private static final int CLIENTS = 4;
  private static final int PATHS_PER_CLIENT = 4;

  @TempDir Path tmp;

  /** Per path: the digest of its last acknowledged version (null if none yet) and of the put in progress. */
  record Outcome(String acknowledged, String inFlight) {}

  @Test
  void acknowledgedStrongFlightsSurviveSigkill() throws Exception {
    try (S3Server s3 = S3Server.inProcess(); RootAllocator allocator = new RootAllocator()) {
      s3.createBucket("crash");
      Path config = tmp.resolve("hangar.yaml");
      Files.writeString(config, DurabilityIT.config(s3, "crash", tmp.resolve("durable"))
          .replace("storage: {memory: {capacity: 64MiB}}", "server: {host: 127.0.0.1, port: 0}\nstorage: {memory: {capacity: 64MiB}}"));
      Map<String, Outcome> outcomes = new ConcurrentHashMap<>();
      Random random = new Random(42);
      int acknowledged = 0;
      for (int round = 0; round < ROUNDS; round++) {
        Process server = start(config, round);
        int port = awaitPort(server, tmp.resolve("server-" + round + ".log"));
        acknowledged += load(allocator, port, round, outcomes, 1000 + random.nextInt(1500), server);
        assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Process again = start(config, round + 100);
        int port2 = awaitPort(again, tmp.resolve("server-" + (round + 100) + ".log"));
        verify(allocator, port2, outcomes);
        again.destroyForcibly().waitFor();
      }
      assertThat(acknowledged).as("puts acknowledged before the kills").isGreaterThan(ROUNDS * 4);
    }
  }

  private Process start(Path config, int n) throws Exception {
    Path log = tmp.resolve("server-" + n + ".log");
    ProcessBuilder pb = new ProcessBuilder(List.of(ROOT.resolve("hangar").toString(), "serve", "--config", config.toString()))
        .directory(ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(Map.of("HANGAR_NO_BUILD", "1", "HANGAR_HEAP", "256m", "HANGAR_MAX_DIRECT_MEMORY", "512m"));
    return pb.start();
  }

  private static int awaitPort(Process p, Path log) throws Exception {
    return LauncherIT.awaitPort(p, log, Pattern.compile("Hangar listening on grpc://127\\.0\\.0\\.1:(\\d+)"));
  }

  /** Runs the clients until {@code killAfterMillis}, then SIGKILLs the server; returns how many puts were acknowledged. */
  private static int load(BufferAllocator parent, int port, int round, Map<String, Outcome> outcomes, long killAfterMillis, Process server)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger acks = new AtomicInteger();
    List<Thread> clients = new ArrayList<>();
    List<Throwable> unexpected = new ArrayList<>();
    for (int c = 0; c < CLIENTS; c++) {
      int client = c;
      Thread t = new Thread(() -> {
        String store = client % 2 == 0 ? "s3" : "fs";
        Random random = new Random(round * 100L + client);
        try (BufferAllocator allocator = parent.newChildAllocator("client-" + client, 0, Long.MAX_VALUE);
            FlightClient flight = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
          for (int n = 0; !stop.get(); n++) {
            // few paths, so that most puts overwrite: a crash mid-overwrite must leave the old or the new
            String path = store + "/strong/c" + client + "-" + (n % PATHS_PER_CLIENT);
            TestData.Batches data = TestData.wide(1 + random.nextInt(6), 2000, round * 1_000_000L + client * 10_000L + n);
            String digest = digest(data, allocator);
            outcomes.merge(path, new Outcome(null, digest), (old, x) -> new Outcome(old.acknowledged(), digest));
            try {
              put(flight, allocator, path, data);
            } catch (FlightRuntimeException e) {
              if (server.isAlive() && !stop.get()) {
                synchronized (unexpected) {
                  unexpected.add(e);
                }
              }
              return; // the server is gone: this put may or may not have landed
            }
            outcomes.put(path, new Outcome(digest, null));
            acks.incrementAndGet();
          }
        } catch (Throwable e) {
          if (server.isAlive() && !stop.get()) {
            synchronized (unexpected) {
              unexpected.add(e);
            }
          }
        }
      }, "crash-client-" + c);
      t.start();
      clients.add(t);
    }
    Thread.sleep(killAfterMillis);
    stop.set(true); // from here on a failed put is expected; puts in progress go on until the kill
    server.destroyForcibly(); // SIGKILL
    server.waitFor();
    for (Thread t : clients) {
      t.join(60_000);
      assertThat(t.isAlive()).isFalse();
    }
    assertThat(unexpected).as("failures before the kill").isEmpty();
    return acks.get();
  }

  private static void put(FlightClient flight, BufferAllocator allocator, String path, TestData.Batches data) throws Exception {
    TestData.put(flight, allocator, path, data);
  }

  static String digest(TestData.Batches data, BufferAllocator allocator) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (String batch : data.expected(allocator)) {
      sha.update(batch.getBytes(StandardCharsets.UTF_8));
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void verify(BufferAllocator allocator, int port, Map<String, Outcome> outcomes) throws Exception {
    try (FlightClient flight = FlightClient.builder(allocator, Location.forGrpcInsecure("127.0.0.1", port)).build()) {
      List<String> listed = new ArrayList<>();
      for (FlightInfo info : flight.listFlights(new org.apache.arrow.flight.Criteria(new byte[0]))) {
        listed.add(String.join("/", info.getDescriptor().getPath()));
      }
      assertThat(outcomes.keySet()).as("every listed flight was put by a client").containsAll(listed);
      for (Map.Entry<String, Outcome> e : outcomes.entrySet()) {
        String path = e.getKey();
        Outcome o = e.getValue();
        String read = read(flight, path);
        if (o.acknowledged() != null) {
          assertThat(read).as("acknowledged %s", path).isIn(o.acknowledged(), o.inFlight());
          assertThat(listed).contains(path);
        } else {
          assertThat(read).as("never acknowledged %s: absent or whole", path).isIn(null, o.inFlight());
        }
        // what the store holds now is what later rounds must find
        outcomes.put(path, new Outcome(read, null));
      }
    }
  }

  /** The SHA-256 of the flight's content as read back, or null if it does not exist. */
  private static String read(FlightClient flight, String path) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (FlightStream s = flight.getStream(new Ticket(path.getBytes(StandardCharsets.UTF_8)))) {
      while (s.next()) {
        sha.update(s.getRoot().contentToTSVString().getBytes(StandardCharsets.UTF_8));
      }
    } catch (FlightRuntimeException e) {
      if (e.status().code() == FlightStatusCode.NOT_FOUND) {
        return null;
      }
      throw e;
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
