package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.ConfigException;
import dev.hangar.config.HangarConfig;
import java.util.List;
import java.util.Set;

/** A start that must fail on its config: with exactly the errors given, no Java names in them, and no thread left behind. */
final class FailedStart {
  private FailedStart() {}

  static void expect(HangarConfig config, String... errors) throws InterruptedException {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> HangarServer.start(config));
    assertThat(e.errors()).containsExactly(errors);
    assertThat(e.getMessage()).doesNotContain("Exception");
    // Every thread the failed start made must end (gRPC's and Netty's shared ones linger a second or two).
    long deadline = System.nanoTime() + 5_000_000_000L;
    List<Thread> left = newThreads(before);
    while (!left.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
      left = newThreads(before);
    }
    assertThat(left).as("threads left behind").extracting(Thread::getName).isEmpty();
  }

  private static List<Thread> newThreads(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !before.contains(t)).toList();
  }
}
