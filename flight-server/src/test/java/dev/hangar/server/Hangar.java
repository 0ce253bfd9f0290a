package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.config.HangarConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A real Hangar server on a free loopback port and a real Flight client, for one test. Closing it
 * checks that the server's working memory drained, shuts the server down (which fails on any leaked
 * buffer) and closes the client's allocator (likewise).
 */
final class Hangar implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  final HangarServer server;
  final BufferAllocator allocator = new RootAllocator();
  final FlightClient client;

  private Hangar(HangarConfig config, java.time.Clock clock) throws IOException {
    this.server = HangarServer.start(config.withPort(0), clock);
    this.client = FlightClient.builder(allocator, server.location()).build();
  }

  /** A server on {@code clock}: TTL, moves and idle expiry follow it, so a test advances time instead of sleeping. */
  static Hangar start(String yaml, java.time.Clock clock) throws IOException {
    return new Hangar(HangarConfig.parse(yaml, "test config", Map.of()), clock);
  }

  /** A clock a test moves by hand. */
  static final class ManualClock extends java.time.Clock {
    private volatile java.time.Instant now = java.time.Instant.now();

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public java.time.Instant instant() {
      return now;
    }
  }

  /** A server with one class for every path, in {@code memory} bytes of memory. */
  static Hangar withMemory(String memory) throws IOException {
    return start(
        """
        storage: {memory: {capacity: %s}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        """.formatted(memory));
  }

  static Hangar start(HangarConfig config) throws IOException {
    return new Hangar(config, java.time.Clock.systemUTC());
  }

  static Hangar start(String yaml) throws IOException {
    return new Hangar(HangarConfig.parse(yaml, "test config", Map.of()), java.time.Clock.systemUTC());
  }

  /** Puts {@code batches} under {@code path}; returns the PutResult JSON. */
  JsonNode put(String path, TestData.Batches batches, org.apache.arrow.flight.CallOption... options) throws Exception {
    try (VectorSchemaRoot root = VectorSchemaRoot.create(batches.schema(), allocator)) {
      SyncPutListener results = new SyncPutListener();
      FlightClient.ClientStreamListener listener = client.startPut(FlightDescriptor.path(path), root, results, options);
      for (int i = 0; i < batches.count(); i++) {
        batches.fill(root, i);
        listener.putNext();
      }
      listener.completed();
      listener.getResult();
      return putResult(results);
    }
  }

  /** The JSON of the PutResult that {@code results} received. */
  static JsonNode putResult(SyncPutListener results) throws Exception {
    try (PutResult result = results.read()) {
      ArrowBuf meta = result.getApplicationMetadata();
      byte[] bytes = new byte[(int) meta.readableBytes()];
      meta.getBytes(0, bytes);
      return JSON.readTree(bytes);
    }
  }

  /** Reads the flight at {@code path} whole, as one TSV string per batch. */
  List<String> get(String path) throws Exception {
    List<String> out = new ArrayList<>();
    try (FlightStream stream = client.getStream(new Ticket(path.getBytes(StandardCharsets.UTF_8)))) {
      while (stream.next()) {
        out.add(stream.getRoot().contentToTSVString());
      }
    }
    return out;
  }

  /** Runs an action and parses its single JSON result. */
  JsonNode action(String type, String body) throws Exception {
    Iterator<Result> results = client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
    JsonNode node = JSON.readTree(results.next().getBody());
    assertThat(results.hasNext()).isFalse();
    return node;
  }

  List<String> list(String prefix) {
    List<String> paths = new ArrayList<>();
    client.listFlights(new org.apache.arrow.flight.Criteria(prefix.getBytes(StandardCharsets.UTF_8)))
        .forEach(info -> paths.add(String.join("/", info.getDescriptor().getPath())));
    return paths;
  }

  /**
   * Waits until the server runs no call and no call holds memory outside the tiers (a cancelled
   * upload is noticed and aborted asynchronously).
   */
  void awaitIdle() throws InterruptedException {
    if (waitForIdle()) {
      return; // idle at one moment; a call may start right after (a peer's replica), which is no leak
    }
    assertThat(server.sqlQueriesRunning()).as("SQL queries still holding a slot").isZero();
    assertThat(server.sqlAllocatedBytes()).as("SQL result memory after queries end").isZero();
    assertThat(server.runningCalls()).as("calls still running").isZero();
    assertThat(server.workingAllocatedBytes()).as("server working memory after calls end").isZero();
  }

  /** Whether the node was idle at some moment within 10 seconds. */
  private boolean waitForIdle() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!idle()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  private boolean idle() {
    return server.runningCalls() == 0 && server.workingAllocatedBytes() == 0 && server.sqlQueriesRunning() == 0
        && server.sqlAllocatedBytes() == 0;
  }

  /** Bytes the memory tier holds, checked against its allocator (they must agree when idle). */
  long memoryUsed() throws InterruptedException {
    awaitIdle();
    long used = server.store().tiers().values().iterator().next().capacity().used();
    assertThat(server.memoryAllocatedBytes()).as("allocator = accounted bytes").isEqualTo(used);
    return used;
  }

  private long committedBytes() {
    return server.store().stats().storageClasses().stream().mapToLong(c -> c.bytes()).sum();
  }

  /**
   * What the store holds by each of its accounts, read between two moments at which the node was
   * idle and its committed bytes the same ({@code quiet}); otherwise a call may have changed them meanwhile.
   */
  private record Accounts(boolean quiet, long committed, long tiers, long memoryTier, long allocated,
      List<String> quotaProblems, long openReservations) {
    boolean agree() {
      return quiet && tiers == committed && allocated == memoryTier && quotaProblems.isEmpty() && openReservations == 0;
    }
  }

  private Accounts accounts() throws InterruptedException {
    boolean idleBefore = waitForIdle();
    long committed = committedBytes();
    long tiers = server.store().tiers().values().stream().mapToLong(t -> t.capacity().used()).sum();
    long memoryTier = server.store().tiers().values().iterator().next().capacity().used();
    long allocated = server.memoryAllocatedBytes();
    List<String> quotaProblems = server.store().quotaProblems();
    long openReservations = server.store().usageLedger().openReservations();
    boolean quiet = idleBefore && idle() && committed == committedBytes();
    return new Accounts(quiet, committed, tiers, memoryTier, allocated, quotaProblems, openReservations);
  }

  @Override
  public void close() throws Exception {
    try {
      // In a cluster, a node that closed before this one makes the others move replicas, so a push
      // may arrive between two reads: judge the node at a quiet moment. A real difference never settles.
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      Accounts accounts = accounts();
      while (!accounts.agree() && System.nanoTime() < deadline) {
        Thread.sleep(50);
        accounts = accounts();
      }
      if (!accounts.quiet()) {
        awaitIdle(); // names what kept the node busy
      }
      assertThat(accounts.allocated).as("memory-tier allocator = accounted bytes").isEqualTo(accounts.memoryTier);
      assertThat(accounts.tiers).as("bytes used in the tiers = sum of committed flights").isEqualTo(accounts.committed);
      assertThat(accounts.quotaProblems).as("limit-policy usage = what the flights hold").isEmpty();
      assertThat(accounts.openReservations).as("quota reservations left open").isZero();
    } finally {
      client.close();
      server.close();
      allocator.close();
    }
  }
}
