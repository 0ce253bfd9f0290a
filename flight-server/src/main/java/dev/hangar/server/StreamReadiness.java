package dev.hangar.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;

/**
 * Backpressure for a DoGet that streams from Hangar's own executor: gRPC's on-ready and on-cancel
 * callbacks (registered in getStream, on the call's thread) wake the streaming thread, which waits
 * while the client's buffer is full. Timed waits re-check in case a callback is missed.
 */
final class StreamReadiness {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private volatile boolean cancelled;

  static StreamReadiness register(ServerStreamListener listener) {
    return register(listener, () -> {});
  }

  /** As {@link #register(ServerStreamListener)}, also running {@code onCancel} when the client cancels. */
  static StreamReadiness register(ServerStreamListener listener, Runnable onCancel) {
    StreamReadiness r = new StreamReadiness();
    listener.setOnReadyHandler(r::signal);
    listener.setOnCancelHandler(() -> {
      r.cancel();
      onCancel.run();
    });
    return r;
  }

  private void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void cancel() {
    cancelled = true;
    signal();
  }

  /**
   * Waits until the client can take another message. Returns false if the call was cancelled;
   * throws if the client took nothing for {@code timeoutMillis}.
   */
  boolean awaitReady(ServerStreamListener listener, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    lock.lock();
    try {
      while (!listener.isReady()) {
        if (cancelled || listener.isCancelled()) {
          return false;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new ClientStalledException(timeoutMillis);
        }
        changed.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS);
      }
      return !(cancelled || listener.isCancelled());
    } finally {
      lock.unlock();
    }
  }

  /** The client stopped reading. */
  static final class ClientStalledException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ClientStalledException(long millis) {
      super("client read nothing for " + millis + " ms");
    }
  }
}
