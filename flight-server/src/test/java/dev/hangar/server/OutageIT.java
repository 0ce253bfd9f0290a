package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.tiers.durable.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durable store goes away while Hangar runs: S3 as a separate S3Proxy process that is killed
 * and started again, and a directory that disappears (an unmounted volume) and comes back.
 */
class OutageIT {
  @TempDir Path tmp;

  @Test
  void s3Outage() throws Exception {
    try (S3Server s3 = S3Server.childProcess(tmp.resolve("s3data"))) {
      s3.createBucket("outage");
      String yaml = DurabilityIT.config(s3, "outage", tmp.resolve("durable"));
      run(yaml, "s3", "s3 store \"s3\" (bucket outage at " + s3.endpoint() + ")", s3::kill, s3::start);
    }
  }

  @Test
  void filesystemOutage() throws Exception {
    try (S3Server s3 = S3Server.inProcess()) { // the config names both stores; only fs/ is exercised here
      s3.createBucket("unused");
      Path dir = tmp.resolve("durable");
      String yaml = DurabilityIT.config(s3, "unused", dir);
      Path away = tmp.resolve("unmounted");
      run(yaml, "fs", "filesystem store \"local\" (" + dir + ")",
          () -> move(dir, away), () -> move(away, dir));
    }
  }

  /**
   * A DoGet that waits for a durable store (a restore from a store that stopped answering) waits on
   * a pooled thread: DoGets of flights in memory, on the same connection and so the same Netty event
   * loop, are answered meanwhile.
   */
  @Test
  void aReadWaitingForTheStoreHoldsUpNoOtherRead() throws Exception {
    try (S3Server s3 = S3Server.childProcess(tmp.resolve("s3data"))) {
      s3.createBucket("stalled");
      String yaml = DurabilityIT.config(s3, "stalled", tmp.resolve("durable"));
      TestData.Batches durable = TestData.wide(2, 1000, 1);
      TestData.Batches hot = TestData.wide(1, 100, 2);
      try (Hangar h = Hangar.start(yaml)) {
        h.put("s3/strong/cold", durable);
      }
      java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newFixedThreadPool(2);
      try (Hangar h = Hangar.start(yaml)) { // restarted: the strong flight is only in the store now
        h.put("hot", hot);
        assertThat(h.list("s3/")).containsExactly("s3/strong/cold"); // indexed before the store stops
        s3.pause();
        java.util.concurrent.Future<?> restore;
        try {
          restore = readers.submit(() -> h.get("s3/strong/cold"));
          Thread.sleep(300); // the restore is waiting for the store
          for (int i = 0; i < 20; i++) {
            java.util.concurrent.Future<?> read = readers.submit(() -> h.get("hot"));
            assertThat(read.get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(hot.expected(h.allocator));
          }
          assertThat(restore).as("the restore still waits for the store").isNotDone();
        } finally {
          s3.resume();
        }
        assertThat(restore.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(durable.expected(h.allocator));
      } finally {
        readers.shutdownNow();
      }
    }
  }

  /**
   * A put that waits for a durable store (a strong put to a store that stopped answering) waits on a
   * pooled thread: small puts and reads of memory flights on the same connection, which run on its
   * event loop, are answered meanwhile.
   */
  @Test
  void aPutWaitingForTheStoreHoldsUpNoOtherCall() throws Exception {
    try (S3Server s3 = S3Server.childProcess(tmp.resolve("s3data"))) {
      s3.createBucket("stalled");
      String yaml = DurabilityIT.config(s3, "stalled", tmp.resolve("durable"));
      TestData.Batches durable = TestData.wide(2, 1000, 1);
      TestData.Batches hot = TestData.wide(1, 100, 2);
      java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(2);
      try (Hangar h = Hangar.start(yaml)) {
        h.put("hot", hot);
        h.put("s3/strong/warm", durable); // the store's connection is up
        s3.pause();
        java.util.concurrent.Future<?> strong;
        try {
          strong = callers.submit(() -> h.put("s3/strong/stalled", durable));
          Thread.sleep(300); // the put is waiting for the store
          for (int i = 0; i < 10; i++) {
            String path = "small-" + i;
            callers.submit(() -> h.put(path, hot)).get(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(callers.submit(() -> h.get(path)).get(5, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(hot.expected(h.allocator));
          }
          assertThat(strong).as("the strong put still waits for the store").isNotDone();
        } finally {
          s3.resume();
        }
        strong.get(60, java.util.concurrent.TimeUnit.SECONDS); // stored once the store answers again
        assertThat(h.get("s3/strong/stalled")).isEqualTo(durable.expected(h.allocator));
      } finally {
        callers.shutdownNow();
      }
    }
  }

  private static void move(Path from, Path to) {
    try {
      Files.move(from, to);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void run(String yaml, String p, String store, Runnable stop, Runnable restart) throws Exception {
    TestData.Batches a = TestData.wide(2, 1000, 1);
    TestData.Batches w0 = TestData.wide(1, 500, 2);
    TestData.Batches w1 = TestData.wide(3, 700, 3);
    try (Hangar h = Hangar.start(yaml)) {
      h.put(p + "/strong/a", a);
      h.put(p + "/weak/w0", w0);
      DurabilityIT.awaitLanded(h);

      stop.run();
      long start = System.nanoTime();
      assertThatThrownBy(() -> h.put(p + "/strong/b", TestData.wide(2, 1000, 4)))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> {
            assertThat(x.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE);
            assertThat(x.getMessage()).startsWith("Cannot store flight \"" + p + "/strong/b\" durably (storage class \"" + p + "/strong/\"): "
                + store);
          });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a dead store fails a strong put in seconds").isLessThan(Duration.ofSeconds(20));
      // flights in tiers keep being served
      assertThat(h.get(p + "/strong/a")).isEqualTo(a.expected(h.allocator));
      assertThat(h.get(p + "/weak/w0")).isEqualTo(w0.expected(h.allocator));
      // weak puts are acknowledged, pending
      JsonNode weak = h.put(p + "/weak/w1", w1);
      assertThat(weak.get("durableCopy").asText()).isEqualTo("pending");
      assertThat(h.action("stats", "").get("weakPending").asInt()).isEqualTo(1);
      h.put(p + "/weak/w2", TestData.wide(1, 10, 5));
      // the queue (weakQueue: 2) is full: backpressure, before any data is taken
      assertThatThrownBy(() -> h.put(p + "/weak/w3", TestData.wide(1, 10, 6)))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> {
            assertThat(x.status().code()).isEqualTo(FlightStatusCode.RESOURCE_EXHAUSTED);
            assertThat(x.getMessage()).isEqualTo("Cannot accept weak flight \"" + p + "/weak/w3\" now: 2 weak flights are already waiting"
                + " for their durable copy in " + store + " (weakQueue 2); retry after a backoff, or check that the store is reachable");
          });
      assertThat(h.action("stats", "").get("storageClasses").get(p + "/weak/").get("flights").asInt()).isEqualTo(3); // w0, w1, w2
      // the catalog answers lookups and listings while the store is down (it was indexed at start-up)
      assertThatThrownBy(() -> h.client.getInfo(FlightDescriptor.path(p + "/strong/b")))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> assertThat(x.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
      assertThat(h.client.getInfo(FlightDescriptor.path(p + "/strong/a")).getRecords()).isEqualTo(2000);
      assertThat(h.list(p + "/")).containsExactly(p + "/strong/a", p + "/weak/w0", p + "/weak/w1", p + "/weak/w2");

      // a delete that cannot reach the store deletes nothing
      assertThatThrownBy(() -> h.action("delete", p + "/strong/a"))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> {
            assertThat(x.status().code()).isEqualTo(FlightStatusCode.UNAVAILABLE);
            assertThat(x.getMessage()).startsWith("Cannot delete flight \"" + p + "/strong/a\": " + store);
          });
      assertThat(h.get(p + "/strong/a")).isEqualTo(a.expected(h.allocator));

      restart.run();
      DurabilityIT.awaitLanded(h);
      assertThat(h.action("describe", p + "/weak/w1").get("durableCopy").asText()).isEqualTo("stored");
      assertThat(h.action("stats", "").get("storageClasses").get(p + "/weak/").get("durableFailures").asLong()).isPositive();
    }
    try (Hangar h = Hangar.start(yaml)) { // restart: nothing acknowledged is lost
      assertThat(h.get(p + "/strong/a")).isEqualTo(a.expected(h.allocator));
      assertThat(h.get(p + "/weak/w0")).isEqualTo(w0.expected(h.allocator));
      assertThat(h.get(p + "/weak/w1")).isEqualTo(w1.expected(h.allocator));
      assertThatThrownBy(() -> h.get(p + "/strong/b"))
          .isInstanceOfSatisfying(FlightRuntimeException.class, x -> assertThat(x.status().code()).isEqualTo(FlightStatusCode.NOT_FOUND));
      assertThat(h.get(p + "/weak/w2")).isEqualTo(TestData.wide(1, 10, 5).expected(h.allocator));
      assertThat(h.list(p + "/")).containsExactly(p + "/strong/a", p + "/weak/w0", p + "/weak/w1", p + "/weak/w2");
    }
  }
}
