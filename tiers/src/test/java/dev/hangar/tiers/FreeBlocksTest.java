package dev.hangar.tiers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/** Freed large blocks: reused by the next body of their size class, bounded, given back when idle. */
final class FreeBlocksTest {
  private static final long MIB = 1 << 20;

  @Test
  void aFreedBlockServesTheNextBlockOfItsSize() {
    FreeBlocks free = new FreeBlocks(8 * MIB, Long.MAX_VALUE);
    long a = free.allocate(MIB);
    free.free(a, MIB);
    assertThat(free.kept()).isEqualTo(MIB);
    assertThat(free.allocate(2 * MIB)).isNotEqualTo(a); // another size class: a new block
    long b = free.allocate(MIB);
    assertThat(b).isEqualTo(a);
    assertThat(free.kept()).isZero();
    assertThat(free.inUse()).isEqualTo(3 * MIB);
    free.close();
  }

  @Test
  void blocksInUseAndKeptStayWithinTheBound() {
    FreeBlocks free = new FreeBlocks(5 * MIB / 2, Long.MAX_VALUE);
    long[] blocks = {free.allocate(MIB), free.allocate(MIB), free.allocate(MIB)};
    for (long b : blocks) {
      free.free(b, MIB);
      assertThat(free.inUse() + free.kept()).isLessThanOrEqualTo(5 * MIB / 2);
    }
    assertThat(free.kept()).isEqualTo(2 * MIB); // the first one freed did not fit beside the two in use
    assertThat(free.inUse()).isZero();
    long big = free.allocate(2 * MIB); // no kept block of its class: it gives back what would break the bound
    assertThat(free.inUse() + free.kept()).isEqualTo(2 * MIB);
    free.free(big, 2 * MIB);
    free.close();
    assertThat(free.kept()).isZero();
  }

  @Test
  void aSizeWhoseLastKeptBlockWasTakenDoesNotStopTheBound() {
    FreeBlocks free = new FreeBlocks(3 * MIB, Long.MAX_VALUE);
    free.free(free.allocate(MIB), MIB);
    long a = free.allocate(MIB); // takes the only kept 1 MiB block
    free.free(free.allocate(2 * MIB), 2 * MIB); // 1 MiB in use, 2 MiB kept
    long b = free.allocate(MIB / 2); // over the bound: the 2 MiB block goes back
    assertThat(free.kept()).isZero();
    assertThat(free.inUse()).isEqualTo(MIB + MIB / 2);
    free.free(a, MIB);
    free.free(b, MIB / 2);
    free.close();
  }

  /**
   * Random allocations, frees and trims against a model: no address is handed out twice while in
   * use, the in-use and kept counts match the model, and whenever anything is kept, blocks in use
   * plus kept stay within the bound.
   */
  @Test
  void randomOperationsKeepTheInvariants() {
    long seed = Long.getLong("hangar.freeblocks.seed", System.nanoTime());
    java.util.Random random = new java.util.Random(seed);
    long bound = MIB;
    FreeBlocks free = new FreeBlocks(bound, 1_000_000L);
    Map<Long, Long> live = new HashMap<>(); // address -> size
    long[] sizes = {64 << 10, 128 << 10, 192 << 10, 320 << 10};
    try {
      for (int i = 0; i < 20_000; i++) {
        int op = random.nextInt(10);
        if (op < 5 || live.isEmpty()) {
          long size = sizes[random.nextInt(sizes.length)];
          long address = free.allocate(size);
          assertThat(live.put(address, size)).as("seed %d, op %d: address handed out twice", seed, i).isNull();
        } else if (op < 9) {
          Long address = live.keySet().iterator().next();
          free.free(address, live.remove(address));
        } else {
          free.trim(System.nanoTime() + random.nextInt(2_000_000));
        }
        long inUse = live.values().stream().mapToLong(Long::longValue).sum();
        assertThat(free.inUse()).as("seed %d, op %d", seed, i).isEqualTo(inUse);
        assertThat(free.kept() == 0 || inUse + free.kept() <= bound).as("seed %d, op %d: %d in use, %d kept", seed, i, inUse, free.kept())
            .isTrue();
      }
    } finally {
      live.forEach(free::free);
      free.close();
    }
    assertThat(free.kept()).isZero();
  }

  @Test
  void idleBlocksAreGivenBackAtTheNextTrim() {
    FreeBlocks free = new FreeBlocks(8 * MIB, 1_000_000_000L);
    free.free(free.allocate(MIB), MIB);
    assertThat(free.trim(System.nanoTime())).isZero(); // freed just now
    assertThat(free.trim(System.nanoTime() + 2_000_000_000L)).isEqualTo(MIB);
    assertThat(free.kept()).isZero();
    free.close();
  }

  @Test
  void afterCloseNothingIsKept() {
    FreeBlocks free = new FreeBlocks(8 * MIB, Long.MAX_VALUE);
    long a = free.allocate(MIB);
    free.close();
    free.free(a, MIB);
    assertThat(free.kept()).isZero();
  }

  @Test
  void theRootKeepsALargeBodyForTheNextAndGivesItBackWhenClosed() {
    Allocators.Root root = Allocators.root(64 * MIB);
    try (BufferAllocator child = root.newChildAllocator("bodies", 0, Long.MAX_VALUE)) {
      long address;
      try (ArrowBuf body = child.buffer(3 * MIB + 5)) {
        address = body.memoryAddress();
      }
      assertThat(root.keptBytes()).isEqualTo(Allocators.SIZE_CLASSES.getRoundedSize(3 * MIB + 5));
      try (ArrowBuf next = child.buffer(3 * MIB + 100)) { // same size class
        assertThat(next.memoryAddress()).isEqualTo(address);
        assertThat(root.keptBytes()).isZero();
      }
      try (ArrowBuf small = child.buffer(1000)) { // below MALLOC_FROM: Netty's pool, never kept
        assertThat(small.capacity()).isGreaterThanOrEqualTo(1000);
      }
      assertThat(root.keptBytes()).isEqualTo(Allocators.SIZE_CLASSES.getRoundedSize(3 * MIB + 5));
    } finally {
      root.close();
    }
    assertThat(root.keptBytes()).isZero();
  }

  @Test
  void largeSizeClassesCostAtMostOnePart_in128() {
    for (long size = Allocators.MALLOC_FROM; size < (1L << 34); size = size * 21 / 20 + 13) {
      long rounded = Allocators.SIZE_CLASSES.getRoundedSize(size);
      assertThat(rounded).isBetween(size, size + size / 128);
      assertThat(rounded % 8).isZero();
      assertThat(Allocators.SIZE_CLASSES.getRoundedSize(rounded)).isEqualTo(rounded); // a class is its own class
    }
  }
}
