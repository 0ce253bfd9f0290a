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

/** Memory: nothing survives. */
final class MemoryTierTest extends TierContractTest {
  @Override
  Tier open(long capacity) {
    return new MemoryTier(root, capacity);
  }

  @Test
  void accountingMatchesTheAllocator() {
    StoredFlight f = write("a", 4, 2000);
    assertThat(((MemoryTier) tier).allocatedBytes() + ((MemoryTier) tier).heapBytes()).isEqualTo(tier.capacity().used());
    f.free();
    assertThat(((MemoryTier) tier).allocatedBytes()).isZero();
    assertThat(((MemoryTier) tier).heapBytes()).isZero();
  }
}
