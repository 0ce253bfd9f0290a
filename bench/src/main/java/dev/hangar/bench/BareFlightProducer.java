package dev.hangar.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.util.AutoCloseables;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The baseline: the least a correct in-memory Flight producer does. DoPut keeps the received
 * batches; DoGet streams them from its own thread, waiting for the client to be ready (without
 * that, large downloads stall: PLATFORM.md). No catalog, no accounting, no eviction.
 */
final class BareFlightProducer extends NoOpFlightProducer implements AutoCloseable {
  private record Stored(Schema schema, List<ArrowRecordBatch> batches) {}

  private final BufferAllocator allocator;
  private final Map<String, Stored> flights = new ConcurrentHashMap<>();
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "bare-doget");
    t.setDaemon(true);
    return t;
  });

  BareFlightProducer(BufferAllocator allocator) {
    this.allocator = allocator;
  }

  @Override
  public Runnable acceptPut(CallContext context, FlightStream stream, StreamListener<PutResult> ack) {
    return () -> {
      List<ArrowRecordBatch> batches = new ArrayList<>();
      VectorSchemaRoot root = stream.getRoot();
      VectorUnloader unloader = new VectorUnloader(root);
      while (stream.next()) {
        batches.add(unloader.getRecordBatch().cloneWithTransfer(allocator));
      }
      Stored old = flights.put(String.join("/", stream.getDescriptor().getPath()), new Stored(root.getSchema(), batches));
      if (old != null) {
        AutoCloseables.closeNoChecked(() -> AutoCloseables.close(old.batches()));
      }
      ack.onCompleted();
    };
  }

  @Override
  public void getStream(CallContext context, Ticket ticket, ServerStreamListener listener) {
    Stored flight = flights.get(new String(ticket.getBytes(), java.nio.charset.StandardCharsets.UTF_8));
    if (flight == null) {
      listener.error(CallStatus.NOT_FOUND.toRuntimeException());
      return;
    }
    ReentrantLock lock = new ReentrantLock();
    Condition ready = lock.newCondition();
    Runnable signal = () -> {
      lock.lock();
      try {
        ready.signalAll();
      } finally {
        lock.unlock();
      }
    };
    listener.setOnReadyHandler(signal);
    listener.setOnCancelHandler(signal);
    executor.execute(() -> {
      try (VectorSchemaRoot root = VectorSchemaRoot.create(flight.schema(), allocator)) {
        VectorLoader loader = new VectorLoader(root);
        listener.start(root);
        for (ArrowRecordBatch batch : flight.batches()) {
          loader.load(batch);
          lock.lock();
          try {
            while (!listener.isReady() && !listener.isCancelled()) {
              ready.await(100, TimeUnit.MILLISECONDS);
            }
          } finally {
            lock.unlock();
          }
          if (listener.isCancelled()) {
            return;
          }
          listener.putNext();
        }
        listener.completed();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  @Override
  public void close() {
    executor.shutdownNow();
    for (Stored s : flights.values()) {
      AutoCloseables.closeNoChecked(() -> AutoCloseables.close(s.batches()));
    }
    flights.clear();
  }
}
