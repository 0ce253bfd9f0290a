package dev.hangar.tiers.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DurableFileFormatTest {
  BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void close() {
    allocator.close(); // a leaked buffer fails the test
  }

  /** Three batches of (id, name); returns the file's bytes. */
  byte[] writeFile(Instant committed) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (VectorSchemaRoot root = VectorSchemaRoot.create(
        new org.apache.arrow.vector.types.pojo.Schema(List.of(
            org.apache.arrow.vector.types.pojo.Field.nullable("id", new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)),
            org.apache.arrow.vector.types.pojo.Field.nullable("name", org.apache.arrow.vector.types.pojo.ArrowType.Utf8.INSTANCE))),
        allocator)) {
      dev.hangar.tiers.ipc.FlightSchema schema = dev.hangar.tiers.ipc.JavaMessages.schema(root.getSchema());
      dev.hangar.tiers.ipc.MessageValidator validator = new dev.hangar.tiers.ipc.MessageValidator(schema);
      DurableFileWriter w = new DurableFileWriter(out, schema);
      for (int b = 0; b < 3; b++) {
        BigIntVector id = (BigIntVector) root.getVector("id");
        VarCharVector name = (VarCharVector) root.getVector("name");
        root.allocateNew();
        for (int i = 0; i < 1000; i++) {
          id.setSafe(i, b * 1000L + i);
          name.setSafe(i, ("row-" + (b * 1000 + i)).getBytes());
        }
        root.setRowCount(1000);
        try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch();
            dev.hangar.tiers.ipc.Message m = dev.hangar.tiers.ipc.JavaMessages.recordBatch(batch, validator, allocator)) {
          w.append(m);
        }
      }
      DurableMetadata meta = w.finish("cache/t1/x", committed, Optional.of(Duration.ofHours(1)), Optional.of(committed.plusSeconds(3600)));
      assertThat(meta.rows()).isEqualTo(3000);
      assertThat(meta.batches()).isEqualTo(3);
    }
    return out.toByteArray();
  }

  @Test
  void anyArrowFileReaderReadsItWithItsMetadata() throws IOException {
    Instant committed = Instant.parse("2026-11-21T10:00:00.123Z");
    byte[] file = writeFile(committed);
    try (SeekableByteChannel ch = new ByteArrayReadableSeekableByteChannel(file);
        ArrowFileReader reader = new ArrowFileReader(ch, allocator)) {
      assertThat(reader.getRecordBlocks()).hasSize(3);
      long rows = 0;
      while (reader.loadNextBatch()) {
        rows += reader.getVectorSchemaRoot().getRowCount();
      }
      assertThat(rows).isEqualTo(3000);
      assertThat(reader.getMetaData())
          .containsEntry("hangar.path", "cache/t1/x")
          .containsEntry("hangar.rows", "3000")
          .containsEntry("hangar.committed", "2026-11-21T10:00:00.123Z")
          .containsEntry("hangar.ttl", "PT1H")
          .containsEntry("hangar.expires", "2026-11-21T11:00:00.123Z")
          .containsKey("hangar.checksum");
    }
  }

  @Test
  void streamingReadVerifiesTheChecksum() throws IOException {
    byte[] file = writeFile(Instant.now());
    List<Long> rows = new ArrayList<>();
    try (DurableFileReader r = new DurableFileReader(new ByteArrayInputStream(file), allocator, java.util.Map.of())) {
      assertThat(r.schema().columns()).extracting(c -> c.name()).containsExactly("id", "name");
      for (dev.hangar.tiers.ipc.Message m = r.next(); m != null; m = r.next()) {
        rows.add(m.header().rows());
        m.close();
      }
      assertThat(r.metadata().rows()).isEqualTo(3000);
      assertThat(r.metadata().checksum()).startsWith("crc32c:");
    }
    assertThat(rows).containsExactly(1000L, 1000L, 1000L);
  }

  @Test
  void aFlippedByteInTheDataIsCaught() throws IOException {
    byte[] file = writeFile(Instant.now());
    file[file.length / 2] ^= 0x10;
    try (DurableFileReader r = new DurableFileReader(new ByteArrayInputStream(file), allocator, java.util.Map.of())) {
      assertThatThrownBy(() -> {
        for (dev.hangar.tiers.ipc.Message m; (m = r.next()) != null; ) {
          m.close();
        }
      }).isInstanceOf(IOException.class).hasMessageContaining("checksum mismatch");
    }
  }

  @Test
  void theFooterAloneGivesSchemaAndMetadata() throws IOException {
    byte[] file = writeFile(Instant.parse("2026-01-01T00:00:00Z"));
    byte[] tail = Arrays.copyOfRange(file, file.length - 100, file.length);
    int needed = DurableFileReader.footerLength(tail) + 10;
    assertThat(DurableFileReader.parseFooter(tail, tail.length)).isNull(); // too short: ask for more
    byte[] enough = Arrays.copyOfRange(file, file.length - needed, file.length);
    DurableFileReader.Footer footer = DurableFileReader.parseFooter(enough, enough.length);
    assertThat(footer.schema().columns()).hasSize(2);
    assertThat(footer.metadata().path()).isEqualTo("cache/t1/x");
    assertThat(footer.metadata().committedAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Test
  void aTruncatedFileIsRejected() throws IOException {
    byte[] file = writeFile(Instant.now());
    byte[] cut = Arrays.copyOf(file, file.length - 3);
    assertThatThrownBy(() -> DurableFileReader.footerLength(cut)).hasMessageContaining("no trailing ARROW1 magic");
  }
}
