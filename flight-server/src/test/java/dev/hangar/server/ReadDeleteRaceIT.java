package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.tiers.durable.S3Server;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads of flights held only in their durable store (not read since a restart) racing deletes and
 * overwrites of the same paths, on S3 and on a filesystem store. Every read answers OK with one
 * whole version, or NOT_FOUND; nothing is INTERNAL; no call, lease or buffer is left behind, and a
 * graceful stop right afterwards is quick.
 */
class ReadDeleteRaceIT {
  @RegisterExtension static final S3Server.PerClass S3 = new S3Server.PerClass();
  @TempDir Path tmp;

  private static final int PER_STORE = 100;

  @Test
  void readsOfDurableOnlyFlightsRacingDeletesAndOverwritesAnswerCleanly() throws Exception {
    String yaml = DurabilityIT.config(S3.server(), S3.newBucket("race"), tmp.resolve("durable"));
    List<String> paths = new ArrayList<>();
    for (String store : List.of("s3", "fs")) {
      for (int i = 0; i < PER_STORE; i++) {
        paths.add(store + "/strong/r" + i);
      }
    }
    try (Hangar h = Hangar.start(yaml)) {
      for (int i = 0; i < paths.size(); i++) {
        h.put(paths.get(i), TestData.wide(1, 200, i));
      }
    }
    Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
    Hangar h = Hangar.start(yaml); // a restart: every flight is durable-only
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int i = 0; i < paths.size(); i++) {
        String path = paths.get(i);
        int n = i;
        CountDownLatch go = new CountDownLatch(1);
        work.add(pool.submit(() -> {
          go.await();
          try {
            List<String> got = h.get(path);
            boolean old = got.equals(TestData.wide(1, 200, n).expected(h.allocator));
            boolean replaced = got.equals(TestData.wide(1, 300, 10_000 + n).expected(h.allocator));
            if (!old && !replaced) {
              wrong.add(path + ": a read returned neither version whole");
            }
            outcomes.computeIfAbsent("read OK", k -> new AtomicInteger()).incrementAndGet();
          } catch (FlightRuntimeException e) {
            outcomes.computeIfAbsent("read " + e.status().code(), k -> new AtomicInteger()).incrementAndGet();
            if (e.status().code() != FlightStatusCode.NOT_FOUND) {
              wrong.add(path + ": " + e.status().code() + " " + e.getMessage());
            }
          }
          return null;
        }));
        work.add(pool.submit(() -> {
          go.countDown();
          if (n % 2 == 0) {
            h.action("delete", path);
          } else {
            h.put(path, TestData.wide(1, 300, 10_000 + n));
          }
          return null;
        }));
      }
      for (Future<?> f : work) {
        f.get();
      }
      assertThat(wrong).isEmpty();
      assertThat(outcomes.get("read OK")).as("outcomes %s", outcomes).isNotNull();
      h.awaitIdle();
      assertThat(h.server.store().problems()).as("no reader left on any version, accounting exact").isEmpty();
      for (int i = 0; i < paths.size(); i++) {
        if (i % 2 == 1) {
          assertThat(h.get(paths.get(i))).isEqualTo(TestData.wide(1, 300, 10_000 + i).expected(h.allocator));
        }
      }
      assertThat(h.list("s3/strong/")).hasSize(PER_STORE / 2);
      assertThat(h.list("fs/strong/")).hasSize(PER_STORE / 2);
    } finally {
      pool.shutdownNow();
      long start = System.nanoTime();
      h.close();
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a graceful stop right after the races").isLessThan(Duration.ofSeconds(2));
      System.out.println("ReadDeleteRaceIT outcomes: " + outcomes);
    }
  }
}
