package dev.hangar.server;

import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallInfo;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightServerMiddleware;
import org.apache.arrow.flight.RequestContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Keeps each call's request headers for the producer, and logs one line per RPC at debug. */
final class RequestLog implements FlightServerMiddleware {
  static final Key<RequestLog> KEY = Key.of("hangar-request");
  private static final Logger LOG = LoggerFactory.getLogger(RequestLog.class);

  private final CallInfo info;
  private final CallHeaders headers;
  private final long startNanos = System.nanoTime();

  private RequestLog(CallInfo info, CallHeaders headers) {
    this.info = info;
    this.headers = headers;
  }

  CallHeaders headers() {
    return headers;
  }

  @Override
  public void onBeforeSendingHeaders(CallHeaders outgoing) {}

  @Override
  public void onCallCompleted(CallStatus status) {
    if (LOG.isDebugEnabled()) {
      LOG.debug("{} {} in {} ms{}", info.method(), status.code(), (System.nanoTime() - startNanos) / 1_000_000,
          status.description() == null || status.description().isEmpty() ? "" : ": " + status.description());
    }
  }

  @Override
  public void onCallErrored(Throwable err) {
    LOG.debug("{} failed: {}", info.method(), err.toString());
  }

  static final class Factory implements FlightServerMiddleware.Factory<RequestLog> {
    @Override
    public RequestLog onCallStarted(CallInfo info, CallHeaders incoming, RequestContext context) {
      return new RequestLog(info, incoming);
    }
  }
}
