package dev.hangar.server.cluster;

import java.util.concurrent.atomic.LongAdder;

/** What the cluster layer did on this node, for {@code /metrics}: calls it passed on and bytes it sent to other nodes. */
public final class ClusterMetrics {
  public final LongAdder forwardedPuts = new LongAdder();
  public final LongAdder proxiedGets = new LongAdder();
  public final LongAdder replicaCopies = new LongAdder();
  public final LongAdder replicaFailures = new LongAdder();
  public final LongAdder rebalancedFlights = new LongAdder();
  public final LongAdder droppedAfterHandover = new LongAdder();
  public final LongAdder bytesSent = new LongAdder();

  void copied(long bytes) {
    bytesSent.add(bytes);
  }
}
