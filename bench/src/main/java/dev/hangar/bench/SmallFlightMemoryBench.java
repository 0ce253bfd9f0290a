package dev.hangar.bench;

import dev.hangar.config.HangarConfig;
import dev.hangar.server.HangarServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What a tiny flight costs the node: a pyarrow client process puts N one-row flights into a Hangar
 * memory tier in this JVM (so the client's memory is not counted), then this prints, per flight, the
 * bytes accounted, the growth of the process's RSS and of the Java heap (after a GC), against the
 * flight's IPC bytes. Targets (data-plane issue): accounted ≤ 2× IPC + 512 B, RSS growth ≤ 2 KiB.
 */
public final class SmallFlightMemoryBench {
  public static void main(String[] args) throws Exception {
    String python = FlightThroughputBench.option(args, "--python", ".venv/bin/python");
    Path scripts = Path.of(FlightThroughputBench.option(args, "--scripts", "bench/python"));
    int n = Integer.parseInt(FlightThroughputBench.option(args, "--flights", "100000"));
    HangarConfig config = HangarConfig.parse("""
        server: {port: 0}
        storage: {memory: {capacity: 1GiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        """, "bench", Map.of());
    try (HangarServer hangar = HangarServer.start(config)) {
      String url = "grpc://127.0.0.1:" + hangar.port();
      run(python, scripts, url, "warm/", 2000); // JIT, gRPC and Netty pools reach their working size
      boolean nmt = FlightThroughputBench.option(args, "--nmt", "false").equals("true"); // needs -XX:NativeMemoryTracking=summary
      long rss0 = rss();
      if (nmt) {
        jcmd("VM.native_memory", "baseline");
      }
      long heap0 = heap();
      long accounted0 = hangar.memoryAllocatedBytes();
      long t0 = System.nanoTime();
      long ipc = run(python, scripts, url, "tiny/", n);
      double secs = (System.nanoTime() - t0) / 1e9;
      long rss1 = rss();
      long heap1 = heap();
      long accounted1 = hangar.memoryAllocatedBytes();
      int flights = hangar.store().list("tiny/").size();
      double accounted = (accounted1 - accounted0) / (double) n;
      System.out.printf(Locale.ROOT, "%d one-row flights stored (%s listed) in %.1f s (%.0f puts/s)%n", n, flights, secs, n / secs);
      System.out.printf(Locale.ROOT, "IPC bytes of one flight (pyarrow stream): %d%n", ipc);
      System.out.printf(Locale.ROOT, "accounted per flight: %.0f B (target <= 2 x IPC + 512 = %d B)%n", accounted, 2 * ipc + 512);
      System.out.printf(Locale.ROOT, "RSS growth per flight: %.0f B (target <= 2048 B)%n", (rss1 - rss0) / (double) n);
      System.out.printf(Locale.ROOT, "Java heap growth per flight (after GC): %.0f B%n", (heap1 - heap0) / (double) n);
      if (nmt) {
        System.out.println(jcmd("VM.native_memory", "summary.diff"));
      }
      if (FlightThroughputBench.option(args, "--histogram", "false").equals("true")) {
        Process jcmd = new ProcessBuilder("jcmd", Long.toString(ProcessHandle.current().pid()), "GC.class_histogram")
            .redirectErrorStream(true).start();
        new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().limit(40).forEach(System.out::println);
      }
    }
  }

  private static long run(String python, Path scripts, String url, String prefix, int n) throws Exception {
    Process p = new ProcessBuilder(python, scripts.resolve("many_flights.py").toString(), url, prefix, Integer.toString(n))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    long ipc = -1;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("ipc_bytes ")) {
          ipc = Long.parseLong(line.substring(10).trim());
        }
      }
    }
    if (p.waitFor() != 0) {
      throw new IllegalStateException("many_flights.py failed");
    }
    return ipc;
  }

  private static String jcmd(String... command) throws Exception {
    java.util.List<String> c = new java.util.ArrayList<>(java.util.List.of("jcmd", Long.toString(ProcessHandle.current().pid())));
    c.addAll(java.util.List.of(command));
    Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  private static long heap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long rss() throws Exception {
    heap();
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmRSS");
  }
}
