package dev.hangar.server;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last line of the error mapping, around every call on the Flight port: a status whose message
 * carries Java internals (a class name, a parser's exception text), which only code outside Hangar
 * can produce (Arrow's Flight SQL handlers, gRPC), goes out without them. The message is logged
 * with an incident id; the client gets the id and what it can do. Hangar's own messages pass as
 * they are.
 */
final class ErrorSanitizer implements ServerInterceptor {
  private final dev.hangar.server.ops.RecentErrors errors;

  ErrorSanitizer(dev.hangar.server.ops.RecentErrors errors) {
    this.errors = errors;
  }

  private static final Logger LOG = LoggerFactory.getLogger(ErrorSanitizer.class);
  private static final Pattern UNPACK = Pattern.compile("cannot be unpacked as [\\w.]+\\$(\\w+)");
  /** A qualified class name, a CamelCase exception or error name, a stack frame. */
  private static final Pattern INTERNALS = Pattern.compile(
      "\\b(?:java|javax|jdk|sun|com|org|io|net)\\.[a-z]\\w*\\.[\\w.$]*[A-Z]\\w*|\\b[A-Z]\\w*(?:Exception|Error)\\b"
          + "|\\bat [\\w.$]+\\([\\w.]+:\\d+\\)");
  /** What clients named (paths, SQL identifiers) is quoted in Hangar's messages and never counts as internals. */
  private static final Pattern QUOTED = Pattern.compile("\"[^\"]*\"");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String rpc = call.getMethodDescriptor().getBareMethodName();
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        Status clean = clean(status, rpc);
        if (!clean.isOk() && clean.getCode() != Status.Code.CANCELLED) {
          errors.record(rpc, clean.getCode().name(), clean.getDescription()); // the status page's recent errors
        }
        super.close(clean, trailers);
      }
    }, headers);
  }

  /** {@code status} without Java internals in its description. */
  static Status clean(Status status, String rpc) {
    String d = status.getDescription();
    if (status.isOk() || d == null || !INTERNALS.matcher(QUOTED.matcher(d).replaceAll("\"\"")).find()) {
      return status.getCode() == Status.Code.UNKNOWN && d == null
          ? Status.INTERNAL.withDescription("Cannot complete " + rpc + ": internal error (see the server log)")
          : status;
    }
    String id = UUID.randomUUID().toString().substring(0, 8);
    LOG.warn("{} answered {} with internals, sent without them (incident {}): {}", rpc, status.getCode(), id, d);
    Matcher m = UNPACK.matcher(d);
    if (m.find()) {
      return Status.INVALID_ARGUMENT.withDescription("Invalid Flight SQL request: the message is not a valid " + m.group(1)
          + " (incident " + id + ")");
    }
    Status.Code code = status.getCode() == Status.Code.UNKNOWN ? Status.Code.INTERNAL : status.getCode();
    String what = code == Status.Code.INVALID_ARGUMENT ? "the request is malformed" : "internal error";
    return Status.fromCode(code).withDescription("Cannot complete " + rpc + ": " + what + " (incident " + id + ", see the server log)");
  }
}
