package dev.hangar.server.dataplane;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which thread runs a call. A call handed to a pool costs two thread hand-offs (Netty's event loop to
 * the pool, and the answer back), and for a 1 KiB DoGet those hand-offs are most of its time. A DoGet
 * of a flight held in memory or a mapped file never waits (it is driven by gRPC's readiness
 * callbacks, see {@link DoGetCall}), so it runs on the event loop that received it. Everything that
 * may wait runs on the pool: other methods, a DoGet of a flight on disk or in a durable store, a
 * Flight SQL ticket, a call authenticated with a password (hashed on purpose slowly), and every
 * DoGet in a cluster (it may ask other nodes).
 */
public final class CallThreads implements ServerCallExecutorSupplier, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CallThreads.class);
  private static final String DO_GET = FlightServiceGrpc.getDoGetMethod().getFullMethodName();
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ExecutorService pool;
  private final boolean inlineGets;

  /** @param inlineGets whether a DoGet may start on its event loop (false in a cluster) */
  public CallThreads(boolean inlineGets) {
    this.inlineGets = inlineGets;
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new PoolThread(r, "hangar-grpc-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The pool that runs calls that may wait (and Arrow's own handlers). */
  public ExecutorService pool() {
    return pool;
  }

  @Override
  public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
    if (inlineGets && DO_GET.equals(call.getMethodDescriptor().getFullMethodName()) && !isPassword(headers.get(AUTHORIZATION))) {
      return MoreExecutors.directExecutor(); // the event loop; DataPlane moves it to the pool if the flight needs it
    }
    return pool;
  }

  private static boolean isPassword(String authorization) {
    return authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6);
  }

  /**
   * {@code handler} run on the pool: its start and every callback of its call, in order, with the
   * call's gRPC context. A call already on the pool runs it as it is.
   */
  <ReqT, RespT> ServerCallHandler<ReqT, RespT> onPool(ServerCallHandler<ReqT, RespT> handler) {
    return (call, headers) -> {
      if (Thread.currentThread() instanceof PoolThread) {
        return handler.startCall(call, headers);
      }
      return new Moved<>(MoreExecutors.newSequentialExecutor(Context.current().fixedContextExecutor(pool)), handler, call, headers);
    };
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }

  private static final class PoolThread extends Thread {
    PoolThread(Runnable r, String name) {
      super(r, name);
    }
  }

  /**
   * A call's listener whose events run one after another on {@code serial}. As gRPC does for a
   * listener that throws, a failure cancels the call rather than leaving it open.
   */
  private static final class Moved<ReqT, RespT> extends ServerCall.Listener<ReqT> {
    private final Executor serial;
    private final ServerCall<ReqT, RespT> call;
    private ServerCall.Listener<ReqT> delegate; // set by the first task, read by the later ones

    Moved(Executor serial, ServerCallHandler<ReqT, RespT> handler, ServerCall<ReqT, RespT> call, Metadata headers) {
      this.serial = serial;
      this.call = call;
      run(() -> delegate = handler.startCall(call, headers));
    }

    private void run(Runnable event) {
      serial.execute(() -> {
        try {
          event.run();
        } catch (RuntimeException | Error e) {
          LOG.warn("A {} call failed on its thread", call.getMethodDescriptor().getBareMethodName(), e);
          try {
            call.close(Status.UNKNOWN.withDescription("The server failed to answer this call"), new Metadata());
          } catch (IllegalStateException alreadyClosed) {
            LOG.debug("The call was closed already");
          }
        }
      });
    }

    private void forward(java.util.function.Consumer<ServerCall.Listener<ReqT>> event) {
      run(() -> {
        if (delegate != null) {
          event.accept(delegate);
        }
      });
    }

    @Override
    public void onMessage(ReqT message) {
      forward(l -> l.onMessage(message));
    }

    @Override
    public void onHalfClose() {
      forward(ServerCall.Listener::onHalfClose);
    }

    @Override
    public void onCancel() {
      forward(ServerCall.Listener::onCancel);
    }

    @Override
    public void onComplete() {
      forward(ServerCall.Listener::onComplete);
    }

    @Override
    public void onReady() {
      forward(ServerCall.Listener::onReady);
    }
  }
}
