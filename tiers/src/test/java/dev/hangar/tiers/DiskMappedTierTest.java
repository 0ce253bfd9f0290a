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

final class DiskMappedTierTest extends DiskContract {
  @Override
  StorageType type() {
    return StorageType.DISK_MAPPED;
  }

  @Test
  void readsShareTheMappingInsteadOfCopying() {
    StoredFlight f = write("m", 2, 5000);
    long mapped = ((DiskTier) tier).allocatedBytes();
    assertThat(mapped).as("the mapped region: the bodies and the headers between them").isBetween(f.bodyBytes(), f.bytes());
    long before = ingest.getAllocatedMemory();
    try (VectorSchemaRoot vsr = VectorSchemaRoot.create(SCHEMA, ingest);
        BatchCursor cursor = BatchCursor.of(f)) {
      assertThat(cursor.loadNext(vsr)).isTrue();
      assertThat(ingest.getAllocatedMemory()).as("no batch data copied into the reader's allocator").isEqualTo(before);
    }
    f.free();
    assertThat(((DiskTier) tier).allocatedBytes()).as("unmapped").isZero();
  }
}
