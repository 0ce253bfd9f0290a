package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

/**
 * A real etcd (Debian's {@code etcd-server}, {@code .ci/run} installs it) of one or more members on
 * loopback, each a child process, for one test. Members can be killed (SIGKILL) and started again.
 */
public final class EtcdCluster implements AutoCloseable {
  static final String BINARY = System.getProperty("hangar.etcd", find());

  /** etcd's path, installed by tools/setup-etcd.sh if it is missing. */
  private static String find() {
    try {
      Process p = new ProcessBuilder(PyTest.ROOT.resolve("tools/setup-etcd.sh").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
      return p.waitFor() == 0 && !out.isEmpty() ? out : "/usr/bin/etcd";
    } catch (IOException | InterruptedException e) {
      return "/usr/bin/etcd";
    }
  }

  private final Path dir;
  private final int[] clientPorts;
  private final int[] peerPorts;
  private final Process[] processes;
  private List<String> tls = List.of(); // the members' client TLS flags; empty: plain http

  private EtcdCluster(Path dir, int members) throws IOException {
    assertThat(Path.of(BINARY)).as("etcd (apt-get install etcd-server; .ci/run does it)").isExecutable();
    this.dir = dir;
    this.clientPorts = new int[members];
    this.peerPorts = new int[members];
    this.processes = new Process[members];
    for (int i = 0; i < members; i++) {
      clientPorts[i] = freePort();
      peerPorts[i] = freePort();
    }
  }

  /** Starts {@code members} etcd members and waits until they answer. */
  public static EtcdCluster start(Path dir, int members) throws Exception {
    EtcdCluster c = new EtcdCluster(dir, members);
    for (int i = 0; i < members; i++) {
      c.startMember(i);
    }
    for (int i = 0; i < members; i++) {
      c.awaitPort(clientPorts(c)[i]);
    }
    return c;
  }

  /**
   * Starts one etcd member that serves its clients TLS with {@code cert} and {@code key}, and, when
   * {@code clientCa} is given, asks each client for a certificate signed by it ({@code --client-cert-auth}).
   */
  public static EtcdCluster startTls(Path dir, Path cert, Path key, Path clientCa) throws Exception {
    EtcdCluster c = new EtcdCluster(dir, 1);
    List<String> flags = new ArrayList<>(List.of("--cert-file", cert.toString(), "--key-file", key.toString()));
    if (clientCa != null) {
      flags.addAll(List.of("--client-cert-auth", "--trusted-ca-file", clientCa.toString()));
    }
    c.tls = List.copyOf(flags);
    c.startMember(0);
    c.awaitPort(c.clientPorts[0]);
    return c;
  }

  private static int[] clientPorts(EtcdCluster c) {
    return c.clientPorts;
  }

  /** Starts member {@code i} (again, after {@link #kill}: it rejoins with its data directory). */
  public void startMember(int i) throws IOException {
    StringJoiner initial = new StringJoiner(",");
    for (int j = 0; j < peerPorts.length; j++) {
      initial.add("m" + j + "=http://127.0.0.1:" + peerPorts[j]);
    }
    Path data = dir.resolve("etcd-m" + i);
    String scheme = tls.isEmpty() ? "http" : "https";
    List<String> command = new ArrayList<>(List.of(BINARY, "--name", "m" + i, "--data-dir", data.toString(),
        "--listen-client-urls", scheme + "://127.0.0.1:" + clientPorts[i], "--advertise-client-urls", scheme + "://127.0.0.1:" + clientPorts[i],
        "--listen-peer-urls", "http://127.0.0.1:" + peerPorts[i], "--initial-advertise-peer-urls", "http://127.0.0.1:" + peerPorts[i],
        "--initial-cluster", initial.toString(), "--initial-cluster-state", Files.exists(data) ? "existing" : "new",
        "--initial-cluster-token", "hangar-test", "--heartbeat-interval", "100", "--election-timeout", "1000"));
    command.addAll(tls);
    processes[i] = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(dir.resolve("etcd-m" + i + ".log").toFile()).start();
  }

  /** SIGKILLs member {@code i}. */
  public void kill(int i) throws InterruptedException {
    processes[i].destroyForcibly();
    processes[i].waitFor(10, TimeUnit.SECONDS);
  }

  /** The client endpoints, for {@code cluster.etcd}. */
  public List<String> endpoints() {
    List<String> out = new ArrayList<>();
    for (int p : clientPorts) {
      out.add((tls.isEmpty() ? "http" : "https") + "://127.0.0.1:" + p);
    }
    return out;
  }

  private void awaitPort(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("etcd did not listen on " + port + "; see " + dir);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      if (p != null) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
