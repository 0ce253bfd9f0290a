package dev.hangar.server.sql;

import dev.hangar.config.Durations;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * At most {@code sql.maxConcurrentQueries} queries run; up to {@code sql.maxQueuedQueries} more
 * wait, first come first served, for at most {@code sql.queueTimeout}. Anything beyond is refused
 * at once, so an overloaded node answers quickly instead of piling up threads.
 *
 * <p>A result waiting for its DoGet holds its slot, and a client that runs a query and never fetches
 * it (an ADBC cursor closed unread, a notebook cell that failed in between) would otherwise hold it for
 * {@code sql.idleTimeout}. So a query that finds no slot first asks {@link #reclaimWith reclaim} to
 * drop a result left unfetched longer than {@code sql.resultGrace}, and asks again while it waits.
 */
final class Admission {
  /** How often a waiting query looks for a result to reclaim. */
  private static final long RECLAIM_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final int slots;
  private final int maxQueued;
  private final Duration queueTimeout;
  private final Semaphore permits;
  private final AtomicInteger waiting = new AtomicInteger();
  private volatile BooleanSupplier reclaim = () -> false;

  Admission(int slots, int maxQueued, Duration queueTimeout) {
    this.slots = slots;
    this.maxQueued = maxQueued;
    this.queueTimeout = queueTimeout;
    this.permits = new Semaphore(slots, true);
  }

  /**
   * What frees a slot held by a result nobody fetches: drops one such result (closing it, which
   * releases its slot) and answers true, or answers false if there is none to drop.
   */
  void reclaimWith(BooleanSupplier reclaim) {
    this.reclaim = reclaim;
  }

  /** Takes a slot, waiting in the queue if there is room; the caller must {@link #release()} it once. */
  void acquire() {
    try {
      if (permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
        return;
      }
      if (reclaim.getAsBoolean() && permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
        return; // else the slot it freed went to a query already waiting, and this one waits too
      }
      if (waiting.incrementAndGet() > maxQueued) {
        waiting.decrementAndGet();
        throw new SqlBusyException("Cannot run the query now: " + slots + " queries are running and " + maxQueued
            + " are waiting, the most this node allows (sql.maxConcurrentQueries, sql.maxQueuedQueries); retry later");
      }
      try {
        long deadline = System.nanoTime() + queueTimeout.toNanos();
        for (long left = queueTimeout.toNanos(); left > 0; left = deadline - System.nanoTime()) {
          if (permits.tryAcquire(Math.min(left, RECLAIM_POLL_NANOS), TimeUnit.NANOSECONDS)) {
            return;
          }
          reclaim.getAsBoolean(); // a slot it frees goes to the first in the queue
        }
        throw new SqlBusyException("Cannot run the query now: it waited " + Durations.format(queueTimeout) + " for one of the "
            + slots + " query slots (sql.queueTimeout, sql.maxConcurrentQueries); retry later");
      } finally {
        waiting.decrementAndGet();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SqlBusyException("Cannot run the query: the server is shutting down");
    }
  }

  void release() {
    permits.release();
  }

  int running() {
    return slots - permits.availablePermits();
  }

  int waiting() {
    return waiting.get();
  }
}
