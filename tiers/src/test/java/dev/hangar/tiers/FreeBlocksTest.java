package dev.hangar.tiers;

import static org.assertj.core.api.Assertions.assertThat;

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
