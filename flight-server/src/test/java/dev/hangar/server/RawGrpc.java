package dev.hangar.server;

import io.grpc.MethodDescriptor;

/** Flight methods as raw bytes, for tests that send what no Flight client would (fuzzed, forged, malformed). */
final class RawGrpc {
  static final String SERVICE = "arrow.flight.protocol.FlightService";

  static final MethodDescriptor.Marshaller<byte[]> BYTES = dev.hangar.server.cluster.Peers.BYTES;

  private RawGrpc() {}

  /** One IPC message as a stream carries it. */
  record Msg(byte[] header, byte[] body) {}

  /** The messages of an IPC stream (continuation markers, metadata, bodies), up to its end marker. */
  static java.util.List<Msg> readStream(byte[] bytes) {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    java.util.List<Msg> out = new java.util.ArrayList<>();
    while (in.remaining() >= 8) {
      int length = in.getInt();
      if (length == -1) {
        length = in.getInt();
      }
      if (length == 0) {
        break;
      }
      byte[] header = new byte[length];
      in.get(header);
      long bodyLength = org.apache.arrow.flatbuf.Message.getRootAsMessage(
          java.nio.ByteBuffer.wrap(header).order(java.nio.ByteOrder.LITTLE_ENDIAN)).bodyLength();
      byte[] body = new byte[(int) bodyLength];
      in.get(body);
      out.add(new Msg(header, body));
    }
    return out;
  }

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
