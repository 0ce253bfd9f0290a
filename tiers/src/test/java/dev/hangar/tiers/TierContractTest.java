package dev.hangar.tiers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.disk.DiskTier;
import dev.hangar.tiers.memory.MemoryTier;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every storage type promises (Iceberg's CatalogTests pattern): one suite, one subclass per
 * type. After every test: capacity used equals what is held, nothing leaked, no stray files.
 */
abstract class TierContractTest {
  static final Schema SCHEMA = new Schema(List.of(
      Field.nullable("id", new ArrowType.Int(64, true)), Field.nullable("name", ArrowType.Utf8.INSTANCE)));
  static final dev.hangar.tiers.ipc.FlightSchema FLIGHT_SCHEMA = dev.hangar.tiers.ipc.JavaMessages.schema(SCHEMA);
  static final Tier.Reserver STRICT = (capacity, bytes) -> {
    if (!capacity.tryReserve(bytes)) {
      throw new IllegalStateException("full: " + capacity);
    }
  };

  @TempDir Path dir;
  RootAllocator root;
  BufferAllocator ingest;
  Tier tier;

  abstract Tier open(long capacity);

  @BeforeEach
  void setUp() {
    root = new RootAllocator();
    ingest = root.newChildAllocator("ingest", 0, Long.MAX_VALUE);
    tier = open(64L << 20);
  }

  @AfterEach
  void tearDown() throws IOException {
    tier.close();
    assertThat(ingest.getAllocatedMemory()).isZero();
    ingest.close();
    root.close(); // fails on a leak
  }

  /** A record batch message of {@code rows} rows, ids from {@code first}. */
  dev.hangar.tiers.ipc.Message batch(int rows, long first) {
    try (ArrowRecordBatch b = javaBatch(rows, first)) {
      return dev.hangar.tiers.ipc.JavaMessages.recordBatch(b, new dev.hangar.tiers.ipc.MessageValidator(FLIGHT_SCHEMA), ingest);
    }
  }

  ArrowRecordBatch javaBatch(int rows, long first) {
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest)) {
      BigIntVector id = (BigIntVector) vsr.getVector(0);
      VarCharVector name = (VarCharVector) vsr.getVector(1);
      vsr.allocateNew();
      for (int i = 0; i < rows; i++) {
        id.setSafe(i, first + i);
        if (i % 3 == 0) {
          name.setNull(i);
        } else {
          name.setSafe(i, ("name-" + (first + i)).getBytes());
        }
      }
      vsr.setRowCount(rows);
      return new VectorUnloader(vsr).getRecordBatch();
    }
  }

  StoredFlight write(String path, int batches, int rows) {
    FlightWriter w = tier.newWriter(path, FLIGHT_SCHEMA, STRICT);
    for (int b = 0; b < batches; b++) {
      w.append(batch(rows, b * 1_000_000L));
    }
    return w.commit();
  }

  /** Reads everything back and checks every value. */
  void assertContent(StoredFlight flight, int batches, int rows) {
    int seen = 0;
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
        BatchCursor cursor = BatchCursor.of(flight)) {
      while (cursor.loadNext(vsr)) {
        assertThat(vsr.getRowCount()).isEqualTo(rows);
        BigIntVector id = (BigIntVector) vsr.getVector(0);
        VarCharVector name = (VarCharVector) vsr.getVector(1);
        for (int i = 0; i < rows; i++) {
          long expected = seen * 1_000_000L + i;
          assertThat(id.get(i)).isEqualTo(expected);
          if (i % 3 == 0) {
            assertThat(name.isNull(i)).isTrue();
          } else {
            assertThat(new String(name.get(i))).isEqualTo("name-" + expected);
          }
        }
        seen++;
      }
    }
    assertThat(seen).isEqualTo(batches);
  }

  @Test
  void writeCommitReadFree() {
    StoredFlight f = write("a/b", 3, 1000);
    assertThat(f.storageType()).isEqualTo(tier.type());
    assertThat(f.rows()).isEqualTo(3000);
    assertThat(f.batches()).isEqualTo(3);
    assertThat(f.schema().javaSchema()).isEqualTo(SCHEMA);
    assertThat(f.bytes()).isEqualTo(tier.capacity().used()).isGreaterThanOrEqualTo(f.bodyBytes());
    assertContent(f, 3, 1000);
    assertContent(f, 3, 1000); // cursors are independent
    f.free();
    f.free(); // idempotent
    assertThat(tier.capacity().used()).isZero();
  }

  @Test
  void emptyFlight() {
    StoredFlight f = write("empty", 0, 0);
    assertThat(f.rows()).isZero();
    assertContent(f, 0, 0);
    f.free();
    assertThat(tier.capacity().used()).isZero();
  }

  @Test
  void abortLeavesNothing() {
    FlightWriter w = tier.newWriter("x", FLIGHT_SCHEMA, STRICT);
    w.append(batch(500, 0));
    w.append(batch(500, 1));
    assertThat(tier.capacity().used()).isPositive();
    w.abort();
    w.abort();
    assertThat(tier.capacity().used()).isZero();
  }

  @Test
  void refusedReservationTakesNothing() {
    tier.close();
    tier = open(16 * 1024);
    FlightWriter w = tier.newWriter("x", FLIGHT_SCHEMA, STRICT);
    assertThatThrownBy(() -> {
      for (int i = 0; i < 100; i++) {
        w.append(batch(1000, i));
      }
    }).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("full: ");
    assertThat(tier.capacity().used()).isLessThanOrEqualTo(16 * 1024);
    w.abort();
    assertThat(tier.capacity().used()).isZero();
  }

  @Test
  void capacityIsSharedByAllFlights() {
    StoredFlight a = write("a", 2, 1000);
    StoredFlight b = write("b", 1, 1000);
    assertThat(tier.capacity().used()).isEqualTo(a.bytes() + b.bytes());
    a.free();
    assertThat(tier.capacity().used()).isEqualTo(b.bytes());
    b.free();
  }

}
