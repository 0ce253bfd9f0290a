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
import java.util.function.UnaryOperator;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which thread runs a call. A call handed to a pool costs two thread hand-offs (Netty's event loop to
 * the pool, and the answer back), and for a 1 KiB flight those hand-offs are most of its time. A DoGet
 * of a flight held in memory or a mapped file never waits (it is driven by gRPC's readiness
 * callbacks, see {@link DoGetCall}), so it runs on the event loop that received it; so does the
 * start of a small put into memory that needs no eviction (see {@link #inlineUpTo}). Everything that
 * may wait runs on the pool: other methods, a DoGet of a flight on disk or in a durable store, a
 * Flight SQL ticket or command, a durable put, a call authenticated with a password (hashed on
 * purpose slowly), and every DoGet and DoPut in a cluster (they may ask other nodes).
 */
public final class CallThreads implements ServerCallExecutorSupplier {
  private static final Logger LOG = LoggerFactory.getLogger(CallThreads.class);
  private static final String DO_GET = FlightServiceGrpc.getDoGetMethod().getFullMethodName();
  private static final String DO_PUT = FlightServiceGrpc.getDoPutMethod().getFullMethodName();

  private final ExecutorService pool;
  private final boolean inline;

  /** @param inline whether a DoGet or DoPut may start on its event loop (false in a cluster) */
  public CallThreads(boolean inline) {
    this.inline = inline;
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new PoolThread(r, "hangar-grpc-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The pool that runs calls that may wait (and Arrow's own handlers); its owner shuts it down. */
  public ExecutorService pool() {
    return pool;
  }

  @Override
  public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (inline && (DO_GET.equals(method) || DO_PUT.equals(method)) && !dev.hangar.server.security.Authenticator.checksPassword(headers)) {
      return MoreExecutors.directExecutor(); // the event loop; DataPlane moves it to the pool if the flight needs it
    }
    return pool;
  }

  /**
   * {@code handler} run on the pool: its start and every callback of its call, in order, with the
   * call's gRPC context. A call already on the pool runs it as it is.
   */
  <ReqT, RespT> ServerCallHandler<ReqT, RespT> onPool(ServerCallHandler<ReqT, RespT> handler) {
    return onPool(handler, UnaryOperator.identity());
  }

  /**
   * As {@link #onPool(ServerCallHandler)}, for requests that refer to gRPC's receive buffers (which
   * gRPC releases when {@code onMessage} returns): {@code detach} makes each one own its bytes before
   * it waits for the pool. A request a call never gets to handle is closed if it is {@link AutoCloseable}.
   */
  <ReqT, RespT> ServerCallHandler<ReqT, RespT> onPool(ServerCallHandler<ReqT, RespT> handler, UnaryOperator<ReqT> detach) {
    return (call, headers) -> {
      if (Thread.currentThread() instanceof PoolThread) {
        return handler.startCall(call, headers);
      }
      return new Moved<>(serialOnPool(), handler, call, headers, detach);
    };
  }

  private Executor serialOnPool() {
    return MoreExecutors.newSequentialExecutor(Context.current().fixedContextExecutor(pool));
  }

  /**
   * {@code handler} run on the event loop for as long as its call's request messages add up to less
   * than {@code bytes} (each measured by {@code size}); the message that reaches it, and everything
   * after, run on the pool as with {@link #onPool}. A large put then stops holding up the other
   * connections of its event loop, and any eviction it brings about waits on a pooled thread.
   */
  <ReqT, RespT> ServerCallHandler<ReqT, RespT> inlineUpTo(ServerCallHandler<ReqT, RespT> handler, long bytes,
      java.util.function.ToLongFunction<ReqT> size, UnaryOperator<ReqT> detach) {
    return (call, headers) -> {
      if (Thread.currentThread() instanceof PoolThread) {
        return handler.startCall(call, headers);
      }
      return new UntilLarge<>(handler.startCall(call, headers), call, bytes, size, detach);
    };
  }

  /** Forwards on the calling thread until the requests reach the limit, then moves to the pool. */
  private final class UntilLarge<ReqT, RespT> extends ServerCall.Listener<ReqT> {
    private final ServerCall.Listener<ReqT> delegate;
    private final ServerCall<ReqT, RespT> call;
    private final long limit;
    private final java.util.function.ToLongFunction<ReqT> size;
    private final UnaryOperator<ReqT> detach;
    private long seen;
    private Moved<ReqT, RespT> moved; // null while inline

    UntilLarge(ServerCall.Listener<ReqT> delegate, ServerCall<ReqT, RespT> call, long limit, java.util.function.ToLongFunction<ReqT> size,
        UnaryOperator<ReqT> detach) {
      this.delegate = delegate;
      this.call = call;
      this.limit = limit;
      this.size = size;
      this.detach = detach;
    }

    @Override
    public void onMessage(ReqT message) {
      if (moved == null) {
        seen += size.applyAsLong(message);
        if (seen < limit) {
          delegate.onMessage(message);
          return;
        }
        moved = new Moved<>(serialOnPool(), delegate, call, detach);
      }
      moved.onMessage(message);
    }

    private ServerCall.Listener<ReqT> current() {
      return moved == null ? delegate : moved;
    }

    @Override
    public void onHalfClose() {
      current().onHalfClose();
    }

    @Override
    public void onCancel() {
      current().onCancel();
    }

    @Override
    public void onComplete() {
      current().onComplete();
    }

    @Override
    public void onReady() {
      current().onReady();
    }
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
    private final UnaryOperator<ReqT> detach;
    private ServerCall.Listener<ReqT> delegate; // set by the first task, read by the later ones

    Moved(Executor serial, ServerCallHandler<ReqT, RespT> handler, ServerCall<ReqT, RespT> call, Metadata headers, UnaryOperator<ReqT> detach) {
      this.serial = serial;
      this.call = call;
      this.detach = detach;
      run(() -> delegate = handler.startCall(call, headers));
    }

    /** For a call whose listener started on another thread. */
    Moved(Executor serial, ServerCall.Listener<ReqT> started, ServerCall<ReqT, RespT> call, UnaryOperator<ReqT> detach) {
      this.serial = serial;
      this.call = call;
      this.detach = detach;
      this.delegate = started;
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
      ReqT owned = detach.apply(message);
      run(() -> {
        if (delegate != null) {
          delegate.onMessage(owned);
        } else if (owned instanceof AutoCloseable c) {
          try {
            c.close();
          } catch (Exception e) {
            LOG.debug("Could not release a request the call did not take: {}", e.toString());
          }
        }
      });
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
