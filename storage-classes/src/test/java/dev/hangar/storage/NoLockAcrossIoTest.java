package dev.hangar.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.Durability;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.config.StorageType;
import dev.hangar.config.TierConfig;
import dev.hangar.config.UploadSpill;
import dev.hangar.tiers.Capacity;
import dev.hangar.tiers.FlightWriter;
import dev.hangar.tiers.StoredFlight;
import dev.hangar.tiers.Tier;
import dev.hangar.tiers.disk.DiskTier;
import dev.hangar.tiers.ipc.FlightSchema;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import dev.hangar.tiers.memory.MemoryTier;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No lock is held across disk I/O: a spill to a disk that hangs holds up only the put that needed
 * the room, and a disk that fails there costs that put nothing but the flight it tried to keep.
 * (The durable-store half, a read while a strong commit's store call is stuck, is in {@link
 * DurableStoreTestBase}.)
 */
class NoLockAcrossIoTest {
  private static final int ROWS = 10_000;

  @TempDir Path dir;
  private final RootAllocator root = new RootAllocator();
  private final BufferAllocator ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
  private final ExecutorService background = Executors.newCachedThreadPool();
  private GatedTier disk;
  private FlightStore store;

  private void build() {
    long unit;
    try (var probe = FlightStoreTest.longs(ingest, ROWS, 0)) {
      unit = MemoryTier.sizeOf(probe, root);
    }
    Map<StorageType, Tier> tiers = new EnumMap<>(StorageType.class);
    tiers.put(StorageType.MEMORY, new MemoryTier(root, 2 * unit + unit / 2)); // two flights fit
    disk = new GatedTier(new DiskTier(StorageType.DISK, dir.resolve("disk"), 64L << 20, root));
    tiers.put(StorageType.DISK, disk);
    TierConfig memory = new TierConfig(StorageType.MEMORY, TierConfig.UNLIMITED, UploadSpill.SPILL, 0, true, Optional.empty(), Optional.empty());
    StorageClassConfig cls = new StorageClassConfig("", Durability.NONE, Optional.empty(), "", Optional.empty(), 1,
        List.of(memory, TierConfig.of(StorageType.DISK)));
    store = new FlightStore(List.of(cls), tiers, new FlightStoreTest.MutableClock());
  }

  private FlightSummary put(String path, long first) {
    try (Upload upload = store.beginPut(path, FlightStoreTest.SCHEMA, OptionalLong.empty())) {
      upload.append(FlightStoreTest.longs(ingest, ROWS, first));
      return upload.commit();
    }
  }

  private long readRows(String path) {
    long rows = 0;
    try (FlightLease lease = store.open(path); MessageCursor cursor = lease.cursor()) {
      for (Message next = cursor.next(); next != null; next = cursor.next()) {
        try (Message m = next) {
          rows += m.header().kind() == dev.hangar.tiers.ipc.MessageKind.RECORD_BATCH ? m.header().rows() : 0;
        }
      }
    }
    return rows;
  }

  @AfterEach
  void close() throws Exception {
    disk.open();
    background.shutdown();
    assertThat(background.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    if (store != null) {
      assertThat(store.problems()).isEmpty();
      store.close();
    }
    ingest.close();
    root.close();
  }

  @Test
  void aMemoryHitCompletesWhileASpillToAStuckDiskIsRunning() throws Exception {
    build();
    put("a", 0);
    put("b", 1);
    disk.hold();
    Future<FlightSummary> c = background.submit(() -> put("c", 2)); // must spill "a" to the stuck disk
    assertThat(disk.entered.await(10, TimeUnit.SECONDS)).as("the spill reached the disk").isTrue();

    // reads, lookups, listings and stats of the storage type go on meanwhile
    assertThat(CompletableFuture.supplyAsync(() -> readRows("b"), background).get(10, TimeUnit.SECONDS)).isEqualTo(ROWS);
    assertThat(CompletableFuture.supplyAsync(() -> store.stats().storageTypes().size(), background).get(10, TimeUnit.SECONDS))
        .isEqualTo(2);
    assertThat(store.info("a").storageType()).isEqualTo(StorageType.MEMORY); // still readable where it was
    assertThat(c.isDone()).isFalse();

    disk.open();
    assertThat(c.get(10, TimeUnit.SECONDS).storageType()).isEqualTo(StorageType.MEMORY);
    assertThat(store.info("a").storageType()).isEqualTo(StorageType.DISK);
    assertThat(readRows("a")).isEqualTo(ROWS);
  }

  @Test
  void aDiskThatFailsDuringASpillCostsThePutOnlyTheFlightItTriedToKeep() {
    build();
    put("a", 0);
    put("b", 1);
    disk.fail = true;
    assertThat(put("c", 2).storageType()).isEqualTo(StorageType.MEMORY);
    assertThatThrownBy(() -> store.info("a")).isInstanceOf(FlightNotFoundException.class); // dropped instead of spilled
    assertThat(store.stats().storageClasses().get(0).evictions()).isEqualTo(1);
    assertThat(disk.capacity().used()).isZero();
  }

  /** A disk tier whose writes can be held (until {@link #open()}) or made to fail. */
  static final class GatedTier implements Tier {
    private final Tier delegate;
    private volatile CountDownLatch gate;
    final CountDownLatch entered = new CountDownLatch(1);
    volatile boolean fail;

    GatedTier(Tier delegate) {
      this.delegate = delegate;
    }

    void hold() {
      gate = new CountDownLatch(1);
    }

    void open() {
      CountDownLatch g = gate;
      if (g != null) {
        g.countDown();
      }
    }

    @Override
    public StorageType type() {
      return delegate.type();
    }

    @Override
    public Capacity capacity() {
      return delegate.capacity();
    }

    @Override
    public long weigh(Message message) {
      return delegate.weigh(message);
    }

    @Override
    public FlightWriter newWriter(String path, FlightSchema schema, Reserver reserver) {
      FlightWriter w = delegate.newWriter(path, schema, reserver);
      return new FlightWriter() {
        @Override
        public void append(Message message) {
          if (fail) {
            message.close();
            throw new UncheckedIOException(new java.io.IOException("injected disk failure"));
          }
          CountDownLatch g = gate;
          if (g != null) {
            entered.countDown();
            try {
              g.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          w.append(message);
        }

        @Override
        public long rows() {
          return w.rows();
        }

        @Override
        public long bytes() {
          return w.bytes();
        }

        @Override
        public StoredFlight commit() {
          return w.commit();
        }

        @Override
        public void abort() {
          w.abort();
        }
      };
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
