package dev.hangar.tiers;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.memory.rounding.RoundingPolicy;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * The node's root allocator, set up so that what it accounts is what it uses. Allocations below
 * {@link #MALLOC_FROM} come from Netty's pool and are accounted at the size class Netty serves them
 * from (16-byte steps up to 64 bytes, then four classes per doubling), not rounded to pages or powers
 * of two; larger ones are taken from the C heap at their exact size (8-byte aligned), so a large
 * message body costs its length and is given back to the system when freed.
 */
public final class Allocators {
  /** Allocations of this size and more bypass Netty's pool. */
  public static final long MALLOC_FROM = 64 << 10;

  private Allocators() {}

  /** A root allocator with Hangar's policy (unlimited: children carry the limits). */
  public static RootAllocator root() {
    AllocationManager.Factory pooled = nettyFactory();
    AllocationManager.Factory factory = new AllocationManager.Factory() {
      @Override
      public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        return size >= MALLOC_FROM ? new Malloc(accountingAllocator, size) : pooled.create(accountingAllocator, size);
      }

      @Override
      public ArrowBuf empty() {
        return pooled.empty();
      }
    };
    return new RootAllocator(RootAllocator.configBuilder()
        .listener(AllocationListener.NOOP)
        .maxAllocation(Long.MAX_VALUE)
        .roundingPolicy(SIZE_CLASSES)
        .allocationManagerFactory(factory)
        .build());
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

  /** Netty's size classes below {@link #MALLOC_FROM}; 8-byte alignment above. */
  static final RoundingPolicy SIZE_CLASSES = requestSize -> {
    if (requestSize >= MALLOC_FROM) {
      return (requestSize + 7) & ~7L;
    }
    if (requestSize <= 64) {
      return Math.max(16, (requestSize + 15) & ~15L);
    }
    long step = Long.highestOneBit(requestSize - 1) >> 2;
    return (requestSize + step - 1) & -step;
  };

  /** Memory from the C heap, exactly as large as asked. */
  private static final class Malloc extends AllocationManager {
    private final long size;
    private final long address;

    Malloc(BufferAllocator accountingAllocator, long size) {
      super(accountingAllocator);
      this.size = size;
      this.address = MemoryUtil.allocateMemory(size);
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
      MemoryUtil.freeMemory(address);
    }
  }
}
