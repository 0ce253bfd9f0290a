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

/** The disk types: real Arrow IPC files, renamed at commit, wiped at start. */
abstract class DiskContract extends TierContractTest {
  abstract StorageType type();

  @Override
  Tier open(long capacity) {
    return new DiskTier(type(), dir, capacity, root);
  }

  List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void committedFlightIsAnArrowFileAnyReaderOpens() throws Exception {
    StoredFlight f = write("cache/t1/report", 2, 777);
    List<Path> files = files();
    assertThat(files).singleElement().satisfies(p -> {
      assertThat(p.getFileName().toString()).matches("[0-9a-f]{32}-\\d+\\.arrow").doesNotContain("cache");
      assertThat(Files.size(p)).isEqualTo(f.bytes());
    });
    try (FileChannel ch = FileChannel.open(files.get(0));
        ArrowFileReader reader = new ArrowFileReader(ch, ingest)) {
      assertThat(reader.getVectorSchemaRoot().getSchema()).isEqualTo(SCHEMA);
      int n = 0;
      while (reader.loadNextBatch()) {
        assertThat(reader.getVectorSchemaRoot().getRowCount()).isEqualTo(777);
        n++;
      }
      assertThat(n).isEqualTo(2);
    }
    f.free();
    assertThat(files()).isEmpty();
  }

  @Test
  void uploadInProgressIsATemporaryFileAndAbortRemovesIt() throws IOException {
    FlightWriter w = tier.newWriter("x", FLIGHT_SCHEMA, STRICT);
    w.append(batch(100, 0));
    assertThat(files()).singleElement().satisfies(p -> assertThat(p.toString()).endsWith(".arrow.tmp"));
    w.abort();
    assertThat(files()).isEmpty();
  }

  @Test
  void openingWipesFlightFilesButNothingElse() throws IOException {
    StoredFlight f = write("left/behind", 1, 10); // as a crashed run would leave it:
    Files.copy(files().get(0), dir.resolve("0123456789abcdef0123456789abcdef-7.arrow"));
    f.free();
    Files.writeString(dir.resolve("notes.txt"), "not ours");
    Files.writeString(dir.resolve("abc.arrow.tmp"), "half");
    tier.close();
    tier = open(64L << 20);
    assertThat(files()).extracting(p -> p.getFileName().toString()).containsExactly("notes.txt");
    assertThat(tier.capacity().used()).isZero();
    Files.delete(dir.resolve("notes.txt"));
  }
}
