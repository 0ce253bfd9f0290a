package dev.hangar.tiers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.StorageType;
import dev.hangar.tiers.disk.DiskTier;
import dev.hangar.tiers.ipc.BufferBody;
import dev.hangar.tiers.ipc.Message;
import dev.hangar.tiers.ipc.MessageCursor;
import dev.hangar.tiers.memory.MemoryTier;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.ArrowBuf;
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

  @Test
  void aBodyAllocatedForItsMessageMovesInWithoutACopy() {
    FlightWriter w = tier.newWriter("a", FLIGHT_SCHEMA, STRICT);
    long address;
    try (Message m = batch(20_000, 0)) {
      ArrowBuf own = ingest.buffer(m.bodyLength());
      m.body().copyTo(own, 0);
      address = own.memoryAddress();
      w.append(new Message(m.header(), null, BufferBody.allocated(own, m.bodyLength())));
    }
    assertThat(ingest.getAllocatedMemory()).isZero(); // the tier's allocator accounts the body now
    StoredFlight f = w.commit();
    assertThat(storedBodyAddress(f)).isEqualTo(address);
    assertContent(f, 1, 20_000);
    assertThat(((MemoryTier) tier).allocatedBytes() + ((MemoryTier) tier).heapBytes()).isEqualTo(tier.capacity().used());
    f.free();
    assertThat(((MemoryTier) tier).allocatedBytes()).isZero();
  }

  @Test
  void aBodyInSomeoneElsesBufferIsCopied() {
    FlightWriter w = tier.newWriter("a", FLIGHT_SCHEMA, STRICT);
    try (Message m = batch(20_000, 0)) {
      m.bufferBody().buffer().getReferenceManager().retain(); // a second reference, as a stored copy's reader holds
      w.append(new Message(m.header(), null, new BufferBody(m.bufferBody().buffer(), m.bodyLength()))); // append closes it
      StoredFlight f = w.commit();
      assertThat(storedBodyAddress(f)).isNotEqualTo(m.bufferBody().buffer().memoryAddress());
      assertThat(ingest.getAllocatedMemory()).isEqualTo(m.bufferBody().buffer().getReferenceManager().getAccountedSize());
      f.free();
    }
  }

  private static long storedBodyAddress(StoredFlight f) {
    try (MessageCursor c = f.cursor(); Message stored = c.next()) {
      return stored.bufferBody().buffer().memoryAddress();
    }
  }
}
