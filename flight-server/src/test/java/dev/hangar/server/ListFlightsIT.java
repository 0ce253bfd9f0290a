package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.impl.FlightServiceGrpc;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * ListFlights streams the catalog as the client reads it: a client that stops reading holds the
 * server's place in the catalog and a bounded queue, not every remaining flight, and one that
 * cancels ends the call. Observed from outside: flights deleted while the client is paused beyond
 * that bound do not come out later.
 */
class ListFlightsIT {
  private static final int FLIGHTS = 100_000; // more one-row FlightInfos than the server may queue
  private static final int BACKPRESSURE_THRESHOLD = 10 << 20; // HangarServer's, Arrow Flight's default
  private static final int WINDOW = 64 << 10;
  private static final Schema SCHEMA = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));

  /**
   * The server may run ahead of a paused client by its backpressure threshold (Arrow Flight's 10 MiB,
   * queued in Netty) plus the client's 64 KiB window, and no further. The flights beyond that point,
   * deleted during the pause, must not come out: a server that ignored readiness would have queued
   * every one of them at once.
   */
  @Test
  void aListingSendsOnlyWhatTheClientHasRoomFor() throws Exception {
    try (Hangar h = Hangar.withMemory("1GiB")) {
      putOneRowFlights(h, FLIGHTS);
      ManagedChannel channel = client(h);
      try {
        PausedListing listing = new PausedListing();
        FlightServiceGrpc.newStub(channel).listFlights(Flight.Criteria.getDefaultInstance(), listing);
        int messageBytes = listing.first.get(10, TimeUnit.SECONDS).getSerializedSize() + 5; // + gRPC frame header
        int cut = (BACKPRESSURE_THRESHOLD + WINDOW) / messageBytes + 1_000;
        assertThat(cut).as("one-row FlightInfos of %d bytes: the test needs more flights", messageBytes).isLessThan(FLIGHTS);
        Thread.sleep(500); // ample time for a server that ignores readiness to queue all of them
        for (int i = cut; i < FLIGHTS; i++) {
          h.server.store().delete(path(i));
        }
        listing.resume();
        assertThat(listing.done.get(30, TimeUnit.SECONDS)).isEqualTo(cut);
        assertThat(listing.lastPath).isEqualTo(path(cut - 1));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aListingTheClientCancelsEndsTheCall() throws Exception {
    try (Hangar h = Hangar.withMemory("1GiB")) {
      putOneRowFlights(h, FLIGHTS);
      ManagedChannel channel = client(h);
      try {
        PausedListing listing = new PausedListing();
        FlightServiceGrpc.newStub(channel).listFlights(Flight.Criteria.getDefaultInstance(), listing);
        listing.first.get(10, TimeUnit.SECONDS);
        Thread.sleep(200);
        assertThat(h.server.runningCalls()).as("the paused listing is a running call").isEqualTo(1);
        listing.call.cancel("client gives up", null);
        h.awaitIdle(); // the call count goes back to zero without the client reading on
        PausedListing next = new PausedListing();
        FlightServiceGrpc.newStub(channel).listFlights(Flight.Criteria.getDefaultInstance(), next);
        next.resume();
        assertThat(next.done.get(30, TimeUnit.SECONDS)).as("the next listing is whole").isEqualTo(FLIGHTS);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * A channel with a fixed 64 KiB window: gRPC's default tunes the window from measured bandwidth,
   * which on loopback soon admits the whole listing and would hide what the server does.
   */
  private static ManagedChannel client(Hangar h) {
    return NettyChannelBuilder.forAddress("127.0.0.1", h.server.port()).usePlaintext().flowControlWindow(WINDOW).build();
  }

  private static String path(int i) {
    return "l/%05d".formatted(i);
  }

  private static void putOneRowFlights(Hangar h, int n) {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, h.allocator)) {
      ((BigIntVector) root.getVector(0)).allocateNew(1);
      ((BigIntVector) root.getVector(0)).set(0, 42);
      root.setRowCount(1);
      for (int i = 0; i < n; i++) {
        try (var u = h.server.store().beginPut(path(i), SCHEMA, OptionalLong.empty())) {
          u.append(new VectorUnloader(root).getRecordBatch());
          u.commit();
        }
      }
    }
  }

  /** Asks for one message, then for everything once resumed. */
  private static final class PausedListing implements ClientResponseObserver<Flight.Criteria, Flight.FlightInfo> {
    final AtomicInteger received = new AtomicInteger();
    final CompletableFuture<Flight.FlightInfo> first = new CompletableFuture<>();
    final CompletableFuture<Integer> done = new CompletableFuture<>();
    volatile ClientCallStreamObserver<Flight.Criteria> call;
    volatile String lastPath;

    @Override
    public void beforeStart(ClientCallStreamObserver<Flight.Criteria> requests) {
      call = requests;
      requests.disableAutoRequestWithInitial(1);
    }

    void resume() {
      call.request(Integer.MAX_VALUE);
    }

    @Override
    public void onNext(Flight.FlightInfo info) {
      received.incrementAndGet();
      first.complete(info);
      lastPath = info.getFlightDescriptor().getPath(0);
    }

    @Override
    public void onError(Throwable t) {
      first.completeExceptionally(t);
      done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      done.complete(received.get());
    }
  }
}
