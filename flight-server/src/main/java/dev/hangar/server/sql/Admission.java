package dev.hangar.server.sql;

import dev.hangar.config.Durations;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * At most {@code sql.maxConcurrentQueries} queries run; up to {@code sql.maxQueuedQueries} more
 * wait, first come first served, for at most {@code sql.queueTimeout}. Anything beyond is refused
 * at once, so an overloaded node answers quickly instead of piling up threads.
 */
final class Admission {
  private final int slots;
  private final int maxQueued;
  private final Duration queueTimeout;
  private final Semaphore permits;
  private final AtomicInteger waiting = new AtomicInteger();

  Admission(int slots, int maxQueued, Duration queueTimeout) {
    this.slots = slots;
    this.maxQueued = maxQueued;
    this.queueTimeout = queueTimeout;
    this.permits = new Semaphore(slots, true);
  }

  /** Takes a slot, waiting in the queue if there is room; the caller must {@link #release()} it once. */
  void acquire() {
    try {
      if (permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
        return;
      }
      if (waiting.incrementAndGet() > maxQueued) {
        waiting.decrementAndGet();
        throw new SqlBusyException("Cannot run the query now: " + slots + " queries are running and " + maxQueued
            + " are waiting, the most this node allows (sql.maxConcurrentQueries, sql.maxQueuedQueries); retry later");
      }
      try {
        if (!permits.tryAcquire(queueTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
          throw new SqlBusyException("Cannot run the query now: it waited " + Durations.format(queueTimeout) + " for one of the "
              + slots + " query slots (sql.queueTimeout, sql.maxConcurrentQueries); retry later");
        }
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
