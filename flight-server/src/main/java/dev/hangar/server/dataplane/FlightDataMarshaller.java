package dev.hangar.server.dataplane;

import io.grpc.MethodDescriptor;
import java.io.InputStream;

/**
 * The marshaller of DoGet responses and DoPut requests: Hangar's own frames pass through as they are
 * ({@link FlightDataFrame} in, {@link OutgoingFrame} out); any other object is Arrow's {@code
 * ArrowMessage} and goes to Arrow's own marshaller, so Flight SQL keeps running on Arrow's handlers.
 */
final class FlightDataMarshaller implements MethodDescriptor.Marshaller<Object> {
  private final MethodDescriptor.Marshaller<Object> arrow;

  FlightDataMarshaller(MethodDescriptor.Marshaller<Object> arrow) {
    this.arrow = arrow;
  }

  @Override
  public InputStream stream(Object value) {
    return value instanceof InputStream frame ? frame : arrow.stream(value); // ours: a stored message, or a peer's bytes
  }

  @Override
  public Object parse(InputStream stream) {
    return FlightDataFrame.parse(stream);
  }

  /** Turns a frame into Arrow's message object, for Arrow's handler of a command upload (one copy). */
  Object toArrow(FlightDataFrame frame) throws java.io.IOException {
    return arrow.parse(new java.io.ByteArrayInputStream(frame.encode()));
  }
}
