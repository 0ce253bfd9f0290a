package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.vector.BigIntVector;
import org.junit.jupiter.api.Test;

/** Readers racing writers over a real server: always a whole flight, never a mix. */
class ConcurrencyIT {
  private static final int BATCHES = 8;
  private static final int ROWS = 20_000;

  /**
   * Three readers loop over "hot" while a writer overwrites it 40 times. Each read must be one
   * version whole; each reader's versions must never go back (the writer's puts are sequential,
   * so a read that starts after another ended cannot see an older flight); and afterwards the
   * memory tier holds exactly the last version: no overwritten copy is left behind.
   */
  @Test
  void readersDuringOverwritesSeeTheOldOrTheNewFlightWhole() throws Exception {
    try (Hangar h = Hangar.withMemory("256MiB")) {
      h.put("hot", TestData.narrow(BATCHES, ROWS, 0));
      ExecutorService pool = Executors.newFixedThreadPool(4);
      AtomicBoolean writing = new AtomicBoolean(true);
      Set<Long> versionsSeen = ConcurrentHashMap.newKeySet();
      try {
        Future<?> writer = pool.submit(() -> {
          for (long v = 1; v <= 40; v++) {
            JsonNode put = h.put("hot", TestData.narrow(BATCHES, ROWS, v)); // every value of version v is v
            assertThat(put.get("rows").asLong()).isEqualTo((long) BATCHES * ROWS);
          }
          writing.set(false);
          return null;
        });
        List<Future<?>> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
          readers.add(pool.submit(() -> {
            long last = -1;
            while (writing.get()) {
              long version = readWhole(h);
              assertThat(version).as("a reader saw version %d after %d", version, last).isGreaterThanOrEqualTo(last);
              versionsSeen.add(version);
              last = version;
            }
            return null;
          }));
        }
        writer.get(120, TimeUnit.SECONDS);
        for (Future<?> f : readers) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(versionsSeen).as("readers saw several versions, each whole").hasSizeGreaterThan(1);
      assertThat(readWhole(h)).isEqualTo(40);
      assertThat(h.action("stats", "").at("/storageTypes/memory/flights").asLong()).isEqualTo(1);
      assertThat(h.memoryUsed()).as("only the last version is held").isEqualTo(h.action("describe", "hot").get("bytes").asLong());
    }
  }

  /** Reads "hot" and checks every value of every batch is the same version; returns it. */
  private static long readWhole(Hangar h) throws Exception {
    long version = -1;
    int batches = 0;
    try (FlightStream stream = h.client.getStream(new Ticket("hot".getBytes(StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        BigIntVector v = (BigIntVector) stream.getRoot().getVector(0);
        assertThat(stream.getRoot().getRowCount()).isEqualTo(ROWS);
        for (int i = 0; i < ROWS; i += 997) {
          if (version < 0) {
            version = v.get(i);
          }
          assertThat(v.get(i)).as("a value of another version inside one read").isEqualTo(version);
        }
        assertThat(v.get(ROWS - 1)).isEqualTo(version);
        batches++;
      }
    }
    assertThat(batches).as("a read sees every batch of one version").isEqualTo(BATCHES);
    return version;
  }

  @Test
  void parallelPutsToDistinctPathsAllLand() throws Exception {
    try (Hangar h = Hangar.withMemory("256MiB")) {
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> puts = new ArrayList<>();
      try {
        for (int t = 0; t < 8; t++) {
          int thread = t;
          puts.add(pool.submit(() -> {
            for (int i = 0; i < 10; i++) {
              h.put("p/" + thread + "/" + i, TestData.wide(2, 1000, thread * 100L + i));
            }
            return null;
          }));
        }
        for (Future<?> f : puts) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(h.list("p/")).hasSize(80);
      for (int t = 0; t < 8; t += 3) {
        for (int i = 0; i < 10; i += 4) {
          assertThat(h.get("p/" + t + "/" + i)).isEqualTo(TestData.wide(2, 1000, t * 100L + i).expected(h.allocator));
        }
      }
      assertThat(h.action("stats", "").at("/storageClasses//puts").asLong()).isEqualTo(80);
    }
  }
}
