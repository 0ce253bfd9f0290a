package dev.hangar.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.storage.durability.Durables;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.JavaMessages;
import dev.hangar.tiers.memory.MemoryTier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code x-hangar-idempotency-key}: a retried put is answered once (durable keys across restarts: {@link DurableStoreTestBase}). */
class IdempotentPutTest {
  private static final FlightSchema SCHEMA = JavaMessages.schema(FlightStoreTest.SCHEMA);

  private final RootAllocator root = new RootAllocator();
  private final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
  private final FlightStoreTest.MutableClock clock = new FlightStoreTest.MutableClock();
  private FlightStore store;

  @BeforeEach
  void build() {
    store = new FlightStore(List.of(StorageClassConfig.ephemeral("", TierConfig.of(StorageType.MEMORY))),
        Map.of(StorageType.MEMORY, new MemoryTier(root, 64L << 20)), Durables.none(), List.of(), Duration.ofHours(1), clock);
  }

  @AfterEach
  void close() {
    assertThat(store.problems()).isEmpty();
    store.close();
    ingest.close();
    root.close();
  }

  private Upload begin(String path, String key) {
    return store.beginPut(path, SCHEMA, OptionalLong.empty(), key);
  }

  private FlightSummary put(String path, String key, long first) {
    try (Upload upload = begin(path, key)) {
      upload.append(FlightStoreTest.longs(ingest, 1000, first));
      return upload.commit();
    }
  }

  private long puts() {
    return store.stats().storageClasses().get(0).puts();
  }

  @Test
  void aRetryWithTheSameKeyAndPathGetsTheFirstResultAndStoresNothing() {
    FlightSummary first = put("a", "k1", 0);
    FlightSummary retry = put("a", "k1", 999); // different data: still the same put, by its key
    assertThat(retry).isEqualTo(first);
    assertThat(puts()).isEqualTo(1);
    assertThat(store.info("a").version()).isEqualTo(first.version());
    // the same key on another path, and another key on the same path, are other puts
    assertThat(put("b", "k1", 0).version()).isNotEqualTo(first.version());
    assertThat(put("a", "k2", 0).version()).isGreaterThan(first.version());
    assertThat(puts()).isEqualTo(3);
    // a put without a key is never a retry
    put("a", null, 0);
    put("a", null, 0);
    assertThat(puts()).isEqualTo(5);
  }

  @Test
  void aRetryWhileTheFirstRunsWaitsForItsResult() throws Exception {
    Upload first = begin("a", "k");
    first.append(FlightStoreTest.longs(ingest, 1000, 0));
    CompletableFuture<FlightSummary> retry = CompletableFuture.supplyAsync(() -> put("a", "k", 0));
    Thread.sleep(200); // the retry is waiting for the first put (it cannot finish before it)
    assertThat(retry.isDone()).isFalse();
    FlightSummary result = first.commit();
    assertThat(retry.get(10, TimeUnit.SECONDS)).isEqualTo(result);
    assertThat(puts()).isEqualTo(1);
  }

  @Test
  void aRetryAfterTheFirstFailedStores() throws Exception {
    Upload first = begin("a", "k");
    CompletableFuture<FlightSummary> retry = CompletableFuture.supplyAsync(() -> put("a", "k", 7));
    Thread.sleep(100);
    first.abort(); // the client went away mid-stream
    assertThat(retry.get(10, TimeUnit.SECONDS).rows()).isEqualTo(1000);
    assertThat(puts()).isEqualTo(1);
    assertThat(put("a", "k", 8)).isEqualTo(retry.get()); // and now that put is the one the key stands for
  }

  @Test
  void aKeyIsForgottenAfterTheWindow() {
    FlightSummary first = put("a", "k", 0);
    clock.advance(Duration.ofMinutes(61));
    assertThat(put("a", "k", 0).version()).isGreaterThan(first.version());
    assertThat(puts()).isEqualTo(2);
  }

  @Test
  void malformedKeysAreRefusedBeforeAnythingIsStored() {
    for (String bad : List.of("", "x".repeat(257), "caf\u00e9", "tab\there")) {
      assertThatThrownBy(() -> begin("a", bad)).isInstanceOf(InvalidUploadException.class)
          .hasMessageStartingWith("Invalid header x-hangar-idempotency-key: it must be 1 to 256 printable ASCII characters");
    }
    assertThat(puts()).isZero();
    assertThat(store.stats().storageTypes().get(0).bytes()).isZero();
  }
}
