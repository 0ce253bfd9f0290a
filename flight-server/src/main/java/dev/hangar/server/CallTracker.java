package dev.hangar.server;

import java.time.Duration;

/**
 * Counts the calls Hangar itself is working on (a producer method running, a DoGet streaming).
 * Graceful shutdown waits for these, not for gRPC to see every call end: grpc-java keeps a call
 * open after the server answered it while the client still has data queued (a DoPut that failed
 * mid-upload), which would otherwise hold shutdown for the whole grace period.
 */
public final class CallTracker {
  private int running;

  public synchronized void enter() {
    running++;
  }

  public synchronized void exit() {
    running--;
    if (running == 0) {
      notifyAll();
    }
  }

  public synchronized int running() {
    return running;
  }

  /** Waits until no call is running or {@code timeout} passed; returns whether all finished. */
  public synchronized boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (running > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }
}
