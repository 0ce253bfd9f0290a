package dev.hangar.server.dataplane;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import java.util.function.Function;

/**
 * Chooses a call's handler by its first request message: Hangar's own for flight paths, Arrow's for
 * Flight SQL commands. Waits for that message, starts the chosen handler on the same call, replays it
 * and forwards every later event.
 */
final class FirstMessageDispatch<ReqT, RespT> implements ServerCallHandler<ReqT, RespT> {
  private final Function<ReqT, ServerCallHandler<ReqT, RespT>> choose;
  private final String noRequest; // the error for a call that ends before its first message

  FirstMessageDispatch(Function<ReqT, ServerCallHandler<ReqT, RespT>> choose) {
    this(choose, "The call ended before its request was sent");
  }

  FirstMessageDispatch(Function<ReqT, ServerCallHandler<ReqT, RespT>> choose, String noRequest) {
    this.choose = choose;
    this.noRequest = noRequest;
  }

  @Override
  public ServerCall.Listener<ReqT> startCall(ServerCall<ReqT, RespT> call, Metadata headers) {
    call.request(1);
    return new ServerCall.Listener<>() {
      private ServerCall.Listener<ReqT> delegate;
      private boolean ready;
      private boolean closed;

      @Override
      public void onMessage(ReqT message) {
        if (closed) {
          return;
        }
        if (delegate == null) {
          ServerCallHandler<ReqT, RespT> handler;
          try {
            handler = choose.apply(message);
          } catch (RuntimeException e) {
            closed = true;
            call.close(Status.fromThrowable(e), new Metadata());
            return;
          }
          delegate = handler.startCall(call, headers);
          if (ready) {
            delegate.onReady();
          }
        }
        delegate.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (delegate != null) {
          delegate.onHalfClose();
        } else if (!closed) {
          closed = true;
          call.close(Status.INVALID_ARGUMENT.withDescription(noRequest), new Metadata());
        }
      }

      @Override
      public void onCancel() {
        if (delegate != null) {
          delegate.onCancel();
        }
      }

      @Override
      public void onComplete() {
        if (delegate != null) {
          delegate.onComplete();
        }
      }

      @Override
      public void onReady() {
        if (delegate != null) {
          delegate.onReady();
        } else {
          ready = true;
        }
      }
    };
  }
}
