package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.arrow.flight.impl.Flight;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Puts mutated Arrow IPC streams, raw FlightData frames over gRPC, into a live node: real streams
 * pyarrow wrote for every case of the fidelity suite, truncated, bit-flipped, cut short and spliced with
 * one another. Every put must end OK or INVALID_ARGUMENT (with a message free of Java internals), within
 * its deadline; a refused put must leave nothing stored; every flight the node accepted must be one
 * pyarrow reads; and the node must end with no working memory, no running call and no extra thread.
 *
 * <p>{@code -Dhangar.fuzz.seed=N} replays a run ({@code random} picks one); {@code -Dhangar.fuzz.puts=N} sets its
 * length. The memory tier grows with the length (up to 2 GiB at 32,000 puts and more), so that every accepted
 * flight stays: an eviction would drop one and the check that the node holds exactly what it accepted would fail.
 */
class MessageFuzzIT {
  private static final MethodDescriptor<byte[], byte[]> DO_PUT = RawGrpc.method("DoPut", MethodDescriptor.MethodType.BIDI_STREAMING);
  private static final MethodDescriptor<byte[], byte[]> DO_GET = RawGrpc.method("DoGet", MethodDescriptor.MethodType.SERVER_STREAMING);
  private static final Path STREAMS = PyTest.ROOT.resolve("client-examples/python/fuzz/streams.py");

  @TempDir Path dir;
  private Hangar hangar;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws IOException {
    long mib = Math.min(2048, Math.max(256, Integer.getInteger("hangar.fuzz.puts", 1500) / 16));
    hangar = Hangar.start("""
        storage: {memory: {capacity: %dMiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        """.formatted(mib));
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", hangar.server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    hangar.close();
  }


  @Test
  void mutatedStreamsAreStoredReadablyOrRefusedCleanly() throws Exception {
    // A fixed seed by default, so that the suite is repeatable; -Dhangar.fuzz.seed=random explores (the
    // note in docs/data-plane.md lists what other seeds still find).
    String given = System.getProperty("hangar.fuzz.seed", "3");
    long seed = given.equals("random") ? System.nanoTime() : Long.parseLong(given);
    int puts = Integer.getInteger("hangar.fuzz.puts", 1500);
    System.out.println("MessageFuzzIT seed " + seed + " (-Dhangar.fuzz.seed=" + seed + " replays it), " + puts + " puts");
    Path seeds = dir.resolve("seeds");
    PyTest.script(STREAMS, "write", seeds.toString());
    Map<String, List<RawGrpc.Msg>> streams = new TreeMap<>();
    try (Stream<Path> files = Files.list(seeds)) {
      for (Path f : files.sorted().toList()) {
        streams.put(f.getFileName().toString().replace(".arrows", ""), RawGrpc.readStream(Files.readAllBytes(f)));
      }
    }
    assertThat(streams).hasSizeGreaterThan(10);
    List<String> names = new ArrayList<>(streams.keySet());

    // The unmutated seeds are stored: the run would prove nothing if everything were refused.
    for (String name : names) {
      assertThat(put("fuzz/seed/" + name, streams.get(name))).as(name).isEqualTo(Status.Code.OK);
    }
    int threadsBefore = Thread.activeCount();

    Random random = new Random(seed);
    Set<String> accepted = new HashSet<>();
    Map<String, String> described = new TreeMap<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < puts; i++) {
      String name = names.get(random.nextInt(names.size()));
      List<RawGrpc.Msg> stream = new ArrayList<>(streams.get(name));
      String mutation = mutate(stream, streams.get(names.get(random.nextInt(names.size()))), random);
      String path = "fuzz/" + i;
      String what = "put " + i + " (" + name + ", " + mutation + ", seed " + seed + ")";
      CompletableFuture<Status> done = new CompletableFuture<>();
      Status.Code code = put(path, stream, done);
      Status status = done.get();
      assertThat(code).as(what + ": " + status).isIn(Status.Code.OK, Status.Code.INVALID_ARGUMENT);
      if (code == Status.Code.OK) {
        accepted.add(path);
        described.put(path, what);
      } else {
        assertThat(status.getDescription()).as(what).doesNotContain("Exception", "java.", "io.grpc", "\tat ")
            .containsAnyOf("message", "Cannot store", "put");
        assertThat(hangar.server.store().list(path)).as(what + ": a refused put leaves nothing").isEmpty();
      }
      outcomes.merge(mutation.split(" ")[0] + " " + code, 1, Integer::sum);
    }
    System.out.println("MessageFuzzIT outcomes: " + outcomes);
    assertThat(outcomes.keySet()).as("some mutated puts are refused, some stored").anyMatch(k -> k.endsWith("INVALID_ARGUMENT"))
        .anyMatch(k -> k.endsWith(" OK"));

    Set<String> stored = hangar.server.store().list("fuzz/").stream().map(f -> f.path())
        .filter(p -> !p.startsWith("fuzz/seed/")).collect(Collectors.toSet());
    assertThat(stored).isEqualTo(accepted);

    // Every flight stored, read back raw, is a stream pyarrow reads.
    Path served = Path.of(System.getProperty("hangar.fuzz.keep", dir.resolve("served").toString())); // -Dhangar.fuzz.keep=DIR keeps them
    Files.createDirectories(served);
    for (String path : accepted) {
      Files.write(served.resolve(path.replace('/', '_') + ".arrows"), getRaw(path));
      Files.writeString(served.resolve(path.replace('/', '_') + ".txt"), described.get(path));
    }
    assertThat(PyTest.script(STREAMS, "check", served.toString())).contains("read " + accepted.size() + " streams");

    hangar.awaitIdle();
    assertThat(Thread.activeCount()).as("threads").isLessThanOrEqualTo(threadsBefore + 8);
  }

  @Test
  void aDescriptorThatCannotBeDecodedIsRefusedAtOnceAndParksNoThread() throws Exception {
    // protobuf's builders refuse a string field that is not UTF-8, so the frame is written by hand: a
    // FlightData whose descriptor (field 1) is a PATH descriptor (type 1) with one path segment (field 3).
    byte[] segment = {(byte) 0xc3, (byte) 0x28, 'x'};
    byte[] descriptor = {0x08, 0x01, 0x1a, (byte) segment.length, segment[0], segment[1], segment[2]};
    byte[] frame = new byte[2 + descriptor.length];
    frame[0] = 0x0a;
    frame[1] = (byte) descriptor.length;
    System.arraycopy(descriptor, 0, frame, 2, descriptor.length);
    int threadsBefore = Thread.activeCount();
    for (int i = 0; i < 20; i++) {
      CompletableFuture<Status> done = new CompletableFuture<>();
      // The put's stream stays open: the refusal must not wait for the client to finish sending.
      var requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(DO_PUT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
          observer(done));
      requests.onNext(frame);
      Status status = done.get(10, TimeUnit.SECONDS);
      assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription()).contains("not UTF-8").doesNotContain("Exception", "java.");
      requests.onCompleted();
    }
    assertThat(hangar.server.store().list("")).isEmpty();
    hangar.awaitIdle(); // a call ends on the server just after its status is sent: no call and no memory left
    assertThat(Thread.activeCount()).as("threads").isLessThanOrEqualTo(threadsBefore + 8);
  }

  /** Applies one random mutation to {@code stream}; returns what it did. */
  private static String mutate(List<RawGrpc.Msg> stream, List<RawGrpc.Msg> other, Random r) {
    int m = r.nextInt(stream.size());
    RawGrpc.Msg msg = stream.get(m);
    switch (r.nextInt(8)) {
      case 0 -> {
        int keep = 1 + r.nextInt(stream.size());
        stream.subList(keep, stream.size()).clear();
        return "truncate-stream to " + keep + " messages";
      }
      case 1 -> {
        byte[] h = msg.header().clone();
        int at = r.nextInt(h.length);
        int bit = r.nextInt(8);
        h[at] ^= (byte) (1 << bit);
        stream.set(m, new RawGrpc.Msg(h, msg.body()));
        return "flip-header message " + m + " byte " + at + " bit " + bit;
      }
      case 2 -> {
        byte[] h = msg.header().clone();
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n; k++) {
          h[r.nextInt(h.length)] = (byte) r.nextInt(256);
        }
        stream.set(m, new RawGrpc.Msg(h, msg.body()));
        return "scramble-header message " + m + " (" + n + " bytes)";
      }
      case 3 -> {
        int cut = r.nextInt(msg.header().length);
        stream.set(m, new RawGrpc.Msg(Arrays.copyOf(msg.header(), cut), msg.body()));
        return "cut-header message " + m + " to " + cut + " bytes";
      }
      case 4 -> {
        if (msg.body().length == 0) {
          return "none (message " + m + " has no body)";
        }
        byte[] b = msg.body().clone();
        int at = r.nextInt(b.length);
        b[at] ^= (byte) (1 << r.nextInt(8));
        stream.set(m, new RawGrpc.Msg(msg.header(), b));
        return "flip-body message " + m + " byte " + at;
      }
      case 5 -> {
        int cut = msg.body().length == 0 ? 0 : r.nextInt(msg.body().length);
        stream.set(m, new RawGrpc.Msg(msg.header(), Arrays.copyOf(msg.body(), cut)));
        return "cut-body message " + m + " to " + cut + " bytes";
      }
      case 6 -> {
        int o = r.nextInt(other.size());
        stream.set(m, other.get(o));
        return "splice message " + m + " with another stream's message " + o;
      }
      default -> {
        int a = r.nextInt(stream.size());
        int b = r.nextInt(stream.size());
        RawGrpc.Msg x = stream.get(a);
        stream.set(a, stream.get(b));
        stream.set(b, x);
        return "swap messages " + a + " and " + b;
      }
    }
  }

  private Status.Code put(String path, List<RawGrpc.Msg> stream) throws Exception {
    CompletableFuture<Status> done = new CompletableFuture<>();
    return put(path, stream, done);
  }

  /** Sends {@code stream} as one DoPut, the descriptor on its first frame; returns the call's status code. */
  private Status.Code put(String path, List<RawGrpc.Msg> stream, CompletableFuture<Status> done) throws Exception {
    var requests = ClientCalls.asyncBidiStreamingCall(channel.newCall(DO_PUT, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
        observer(done));
    for (int i = 0; i < stream.size(); i++) {
      Flight.FlightData.Builder frame = Flight.FlightData.newBuilder().setDataHeader(ByteString.copyFrom(stream.get(i).header()));
      if (stream.get(i).body().length > 0) {
        frame.setDataBody(ByteString.copyFrom(stream.get(i).body()));
      }
      if (i == 0) {
        frame.setFlightDescriptor(Flight.FlightDescriptor.newBuilder().setType(Flight.FlightDescriptor.DescriptorType.PATH).addPath(path));
      }
      requests.onNext(frame.build().toByteArray());
    }
    requests.onCompleted();
    return done.get(60, TimeUnit.SECONDS).getCode();
  }

  private static StreamObserver<byte[]> observer(CompletableFuture<Status> done) {
    return RawGrpc.completing(done);
  }

  /** DoGet of {@code path}, its FlightData frames written back out as an IPC stream. */
  private byte[] getRaw(String path) throws IOException {
    byte[] ticket = Flight.Ticket.newBuilder().setTicket(ByteString.copyFromUtf8(path)).build().toByteArray();
    Iterator<byte[]> frames = ClientCalls.blockingServerStreamingCall(channel, DO_GET,
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), ticket);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (frames.hasNext()) {
      Flight.FlightData data = Flight.FlightData.parseFrom(frames.next());
      byte[] header = data.getDataHeader().toByteArray();
      int padded = (header.length + 7) & ~7;
      out.write(le(-1));
      out.write(le(padded));
      out.write(header);
      out.write(new byte[padded - header.length]);
      data.getDataBody().writeTo(out);
    }
    out.write(le(-1));
    out.write(le(0));
    return out.toByteArray();
  }

  private static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

}
