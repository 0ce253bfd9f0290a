package dev.hangar.tiers;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.rounding.RoundingPolicy;

/**
 * The node's root allocator, set up so that what it accounts is what it uses. Allocations below
 * {@link #MALLOC_FROM} come from Netty's pool and are accounted at the size class Netty serves them
 * from (16-byte steps up to 64 bytes, then four classes per doubling), not rounded to pages or powers
 * of two. Larger ones are taken from the C heap in 128 size classes per doubling (at most 0.8% over
 * the length asked), so that a freed body's block can serve the next body of about its size:
 * {@link FreeBlocks} keeps freed blocks warm up to a bound and gives idle ones back.
 */
public final class Allocators {
  /** Allocations of this size and more bypass Netty's pool. */
  public static final long MALLOC_FROM = 64 << 10;

  private Allocators() {}

  /**
   * How long a freed large block is kept for reuse before it is given back to the system: as long as
   * the launcher lets an idle heap wait before G1 gives it back (G1PeriodicGCInterval).
   */
  public static final java.time.Duration KEEP_IDLE = java.time.Duration.ofMinutes(5);

  /**
   * A root allocator with Hangar's policy (unlimited: children carry the limits) that keeps freed
   * large blocks for reuse while blocks in use and kept stay within {@code keepUpTo} bytes.
   */
  public static Root root(long keepUpTo) {
    return new Root(new FreeBlocks(keepUpTo, KEEP_IDLE.toNanos()));
  }

  /** The root allocator, and the freed large blocks it keeps. */
  public static final class Root extends RootAllocator {
    private final FreeBlocks free;

    private Root(FreeBlocks free) {
      super(RootAllocator.configBuilder()
          .listener(AllocationListener.NOOP)
          .maxAllocation(Long.MAX_VALUE)
          .roundingPolicy(SIZE_CLASSES)
          .allocationManagerFactory(factory(free))
          .build());
      this.free = free;
    }

    /** Gives back to the system the kept blocks idle for {@link #KEEP_IDLE}; returns the bytes. */
    public long trimIdle() {
      return free.trim(System.nanoTime());
    }

    /** Bytes of freed large blocks kept for reuse (not accounted to any allocator). */
    public long keptBytes() {
      return free.kept();
    }

    @Override
    public void close() {
      try {
        super.close();
      } finally {
        free.close();
      }
    }
  }

  private static AllocationManager.Factory factory(FreeBlocks free) {
    AllocationManager.Factory pooled = nettyFactory();
    return new AllocationManager.Factory() {
      @Override
      public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        return size >= MALLOC_FROM ? new Malloc(accountingAllocator, size, free) : pooled.create(accountingAllocator, size);
      }

      @Override
      public ArrowBuf empty() {
        return pooled.empty();
      }
    };
  }

  /** Arrow's Netty allocation manager (arrow-memory-netty, on the runtime classpath). */
  private static AllocationManager.Factory nettyFactory() {
    try {
      java.lang.reflect.Field f = Class.forName("org.apache.arrow.memory.netty.NettyAllocationManager").getDeclaredField("FACTORY");
      f.setAccessible(true);
      return (AllocationManager.Factory) f.get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Cannot find Arrow's Netty allocation manager: add arrow-memory-netty to the classpath", e);
    }
  }

  /** Netty's size classes below {@link #MALLOC_FROM}; 128 classes per doubling above. */
  static final RoundingPolicy SIZE_CLASSES = requestSize -> {
    if (requestSize >= MALLOC_FROM) {
      long step = Long.highestOneBit(requestSize) >> 7;
      return (requestSize + step - 1) & -step;
    }
    if (requestSize <= 64) {
      return Math.max(16, (requestSize + 15) & ~15L);
    }
    long step = Long.highestOneBit(requestSize - 1) >> 2;
    return (requestSize + step - 1) & -step;
  };

  /** A block from the C heap (or kept from an earlier body) of one size class. */
  private static final class Malloc extends AllocationManager {
    private final long size;
    private final long address;
    private final FreeBlocks free;

    Malloc(BufferAllocator accountingAllocator, long size, FreeBlocks free) {
      super(accountingAllocator);
      this.size = size;
      this.free = free;
      this.address = free.allocate(size);
    }

    @Override
    public long getSize() {
      return size;
    }

    @Override
    protected long memoryAddress() {
      return address;
    }

    @Override
    protected void release0() {
      free.free(address, size);
    }
  }
}
