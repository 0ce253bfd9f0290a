package dev.hangar.server;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightProducer.ServerStreamListener;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a DoGet's batches from Hangar's own executor, with backpressure: gRPC's readiness callbacks
 * are registered on the call's thread and the batches go out from ours, so that gRPC can deliver
 * them while we wait (PLATFORM.md, DoGet backpressure). Serves stored flights and SQL results alike.
 */
final class BatchStreamer {
  private static final Logger LOG = LoggerFactory.getLogger(BatchStreamer.class);

  /** Where the batches come from; closed once the stream ends, however it ends. */
  interface Source extends AutoCloseable {
    /** The root every {@link #next()} loads into. */
    VectorSchemaRoot root();

    /** Loads the next batch into {@link #root()}; false at the end. */
    boolean next() throws Exception;

    @Override
    void close();
  }

  private final ExecutorService streams;
  private final long stallTimeoutMillis;
  private final CallTracker calls;

  BatchStreamer(ExecutorService streams, long stallTimeoutMillis, CallTracker calls) {
    this.streams = streams;
    this.stallTimeoutMillis = stallTimeoutMillis;
    this.calls = calls;
  }

  /**
   * Streams {@code source} to {@code listener} and closes it. Call on the call's thread, after
   * {@code calls.enter()}: the stream exits the call when it ends. {@code what} names the stream in
   * errors ("DoGet of \"cache/t1/sales\""); {@code onCancel} runs when the client cancels (it may run
   * twice: it must be idempotent).
   */
  void stream(ServerStreamListener listener, Source source, String what, boolean zeroCopy, Runnable onCancel) {
    StreamReadiness readiness = StreamReadiness.register(listener, onCancel);
    try {
      streams.execute(() -> send(listener, source, what, zeroCopy, readiness, onCancel));
    } catch (RejectedExecutionException e) {
      source.close();
      calls.exit();
      listener.error(CallStatus.UNAVAILABLE.withDescription("Cannot serve " + what + ": the server is shutting down").toRuntimeException());
    }
  }

  private void send(ServerStreamListener listener, Source source, String what, boolean zeroCopy, StreamReadiness readiness,
      Runnable onCancel) {
    try (source) {
      listener.setUseZeroCopy(zeroCopy);
      listener.start(source.root());
      while (source.next()) {
        if (!readiness.awaitReady(listener, stallTimeoutMillis)) {
          LOG.debug("{} cancelled by the client", what);
          onCancel.run(); // also here: the cancel may be seen before gRPC's handler has run it
          return;
        }
        listener.putNext();
      }
      listener.completed();
    } catch (StreamReadiness.ClientStalledException e) {
      LOG.warn("{} abandoned: {}", what, e.getMessage());
      listener.error(CallStatus.TIMED_OUT.withDescription("Cannot finish " + what + ": " + e.getMessage()).toRuntimeException());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      listener.error(CallStatus.UNAVAILABLE.withDescription("Cannot finish " + what + ": the server is shutting down").toRuntimeException());
    } catch (Throwable t) {
      if (!listener.isCancelled()) {
        listener.error(Errors.toFlight(t, what));
      }
    } finally {
      calls.exit();
    }
  }
}
