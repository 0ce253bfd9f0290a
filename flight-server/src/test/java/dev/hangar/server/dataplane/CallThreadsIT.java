package dev.hangar.server.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CallThreads#onPool} over a real gRPC server and client on loopback: a call that starts on
 * the event loop moves to the pool, and a listener that throws there closes its call with a plain
 * UNKNOWN instead of leaving it open, and leaves the pool able to serve the next call.
 */
class CallThreadsIT {
  private static final MethodDescriptor.Marshaller<byte[]> BYTES = dev.hangar.server.cluster.Peers.BYTES;
  private static final MethodDescriptor<byte[], byte[]> BOOM = method("Boom");
  private static final MethodDescriptor<byte[], byte[]> THREAD = method("Thread");

  private CallThreads threads;
  private Server server;
  private ManagedChannel channel;

  private static MethodDescriptor<byte[], byte[]> method(String name) {
    return MethodDescriptor.<byte[], byte[]>newBuilder().setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("hangar.test", name))
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
  }

  @BeforeEach
  void start() throws IOException {
    threads = new CallThreads(true);
    ServerCallHandler<byte[], byte[]> boom = ServerCalls.asyncUnaryCall((request, response) -> {
      throw new IllegalStateException("internal detail that must not reach the client");
    });
    ServerCallHandler<byte[], byte[]> threadName = ServerCalls.asyncUnaryCall((request, response) -> {
      response.onNext(Thread.currentThread().getName().getBytes(StandardCharsets.UTF_8));
      response.onCompleted();
    });
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .directExecutor() // calls start on the event loop, as DoGet and DoPut do
        .addService(ServerServiceDefinition.builder("hangar.test")
            .addMethod(BOOM, threads.onPool(boom))
            .addMethod(THREAD, threads.onPool(threadName))
            .build())
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    threads.pool().shutdownNow();
    assertThat(threads.pool().awaitTermination(10, TimeUnit.SECONDS)).as("pool threads ended").isTrue();
  }

  private byte[] call(MethodDescriptor<byte[], byte[]> method) {
    return ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), new byte[] {1});
  }

  @Test
  void aCallMovedToThePoolRunsOnAPoolThread() {
    assertThat(new String(call(THREAD), StandardCharsets.UTF_8)).startsWith("hangar-grpc-");
  }

  @Test
  void aListenerThatThrowsOnThePoolClosesItsCallWithUnknownAndThePoolServesOn() {
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> call(BOOM)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNKNOWN); // not DEADLINE_EXCEEDED: the call was closed
        assertThat(e.getStatus().getDescription()).isEqualTo("The server failed to answer this call");
      });
      assertThat(new String(call(THREAD), StandardCharsets.UTF_8)).startsWith("hangar-grpc-");
    }
  }
}
