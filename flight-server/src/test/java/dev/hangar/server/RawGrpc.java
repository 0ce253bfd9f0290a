package dev.hangar.server;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Flight methods as raw bytes, for tests that send what no Flight client would (fuzzed, forged, malformed). */
final class RawGrpc {
  static final String SERVICE = "arrow.flight.protocol.FlightService";

  static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  };

  private RawGrpc() {}

  /** An observer of a call's answers that completes {@code done} with the call's status, ignoring its messages. */
  static io.grpc.stub.StreamObserver<byte[]> completing(java.util.concurrent.CompletableFuture<io.grpc.Status> done) {
    return new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(byte[] value) {}

      @Override
      public void onError(Throwable t) {
        done.complete(io.grpc.Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        done.complete(io.grpc.Status.OK);
      }
    };
  }

  /** The Flight method {@code name}, sending and receiving bytes as they are. */
  static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(type).setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
  }
}
