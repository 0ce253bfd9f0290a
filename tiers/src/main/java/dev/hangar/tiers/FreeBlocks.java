package dev.hangar.tiers;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Large blocks of native memory that bodies gave back, kept for the next body of the same size class.
 *
 * <p>A block fresh from the C heap costs the kernel a page fault and a zeroed page for every 4 KiB on
 * first touch, which on this kind of VM is slower than the copy that fills it (BENCHMARKS.md,
 * "Warm pages for large bodies"). So a freed block is kept, newest first, while the blocks in use and
 * the blocks kept stay within {@code keepUpTo} bytes (the memory tier's capacity: what the operator set
 * aside for bodies; a new block that would break that bound first gives back the oldest kept ones),
 * and given back to the system once it has been idle for {@code idleNanos}, at the
 * next {@link #trim} (the server's sweeper calls it every second). Thread-safe; the lock is held for
 * list operations only, never around malloc or free.
 */
final class FreeBlocks {
  private final long keepUpTo;
  private final long idleNanos;
  /** size class -> kept blocks, newest first: {address, freed-at nanoTime}. */
  private final Map<Long, ArrayDeque<long[]>> bySize = new HashMap<>();
  private long inUse;
  private long kept;
  private boolean closed;

  FreeBlocks(long keepUpTo, long idleNanos) {
    this.keepUpTo = keepUpTo;
    this.idleNanos = idleNanos;
  }

  /**
   * A block of {@code size} bytes (a size class): a kept one if there is one, else a new one. A new
   * one that would take blocks in use and kept over the bound first gives back the oldest kept blocks
   * of other sizes.
   */
  long allocate(long size) {
    List<long[]> out;
    synchronized (this) {
      inUse += size;
      ArrayDeque<long[]> blocks = bySize.get(size);
      long[] block = blocks == null ? null : blocks.pollFirst();
      if (block != null) {
        kept -= size;
        if (blocks.isEmpty()) {
          bySize.remove(size); // the map holds no empty lists
        }
        return block[0];
      }
      out = overBound();
    }
    freeAll(out);
    try {
      return MemoryUtil.allocateMemory(size);
    } catch (RuntimeException | Error e) {
      synchronized (this) {
        inUse -= size;
      }
      throw e;
    }
  }

  /** Takes back a block from {@link #allocate}: kept if it fits under the bound, else freed. */
  void free(long address, long size) {
    synchronized (this) {
      inUse -= size;
      if (!closed && inUse + kept + size <= keepUpTo) {
        bySize.computeIfAbsent(size, s -> new ArrayDeque<>()).addFirst(new long[] {address, System.nanoTime()});
        kept += size;
        return;
      }
    }
    MemoryUtil.freeMemory(address);
  }

  /** Gives back to the system every kept block idle since {@code idleNanos} before {@code now}; returns the bytes freed. */
  long trim(long now) {
    return release(now - idleNanos);
  }

  /** Bytes of kept blocks. */
  synchronized long kept() {
    return kept;
  }

  /** Bytes of blocks in use. */
  synchronized long inUse() {
    return inUse;
  }

  /** Frees every kept block; blocks freed after this are given back at once. */
  void close() {
    synchronized (this) {
      closed = true;
    }
    release(Long.MAX_VALUE);
  }

  /** Takes out the oldest kept blocks until blocks in use and kept are within the bound (or none is kept). */
  private List<long[]> overBound() {
    List<long[]> out = new ArrayList<>();
    while (kept > 0 && inUse + kept > keepUpTo) {
      Map.Entry<Long, ArrayDeque<long[]>> oldest = null;
      for (Map.Entry<Long, ArrayDeque<long[]>> e : bySize.entrySet()) {
        if (oldest == null || e.getValue().peekLast()[1] - oldest.getValue().peekLast()[1] < 0) {
          oldest = e;
        }
      }
      out.add(oldest.getValue().pollLast());
      kept -= oldest.getKey();
      if (oldest.getValue().isEmpty()) {
        bySize.remove(oldest.getKey());
      }
    }
    return out;
  }

  private static void freeAll(List<long[]> blocks) {
    for (long[] block : blocks) {
      MemoryUtil.freeMemory(block[0]);
    }
  }

  /** Frees kept blocks freed at or before {@code before} (nanoTime; MAX_VALUE: all). */
  private long release(long before) {
    List<long[]> out = new ArrayList<>();
    long bytes = 0;
    synchronized (this) {
      for (var it = bySize.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<Long, ArrayDeque<long[]>> e = it.next();
        ArrayDeque<long[]> blocks = e.getValue();
        while (!blocks.isEmpty() && (before == Long.MAX_VALUE || blocks.peekLast()[1] - before <= 0)) {
          out.add(blocks.pollLast());
          bytes += e.getKey();
        }
        if (blocks.isEmpty()) {
          it.remove();
        }
      }
      kept -= bytes;
    }
    freeAll(out);
    return bytes;
  }
}
