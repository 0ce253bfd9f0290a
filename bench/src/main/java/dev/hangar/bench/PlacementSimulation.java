package dev.hangar.bench;

import dev.hangar.server.cluster.Rendezvous;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Rendezvous placement as the cluster runs it ({@link Rendezvous#owners}), on simulated flights:
 * how evenly keys and bytes spread over nodes, how many move when a node joins or leaves (against
 * the ideal replicas/n), that only the keys of the node that changed move, what placing by tenant
 * costs in balance when tenants are skewed, and what computing owners costs per key. No server runs;
 * the numbers back docs/cluster.md.
 *
 * <p>Arguments: {@code --keys 1000000} (flights simulated), {@code --seed 1}.
 */
public final class PlacementSimulation {
  public static void main(String[] args) {
    int keys = Integer.parseInt(FlightThroughputBench.option(args, "--keys", "1000000"));
    long seed = Long.parseLong(FlightThroughputBench.option(args, "--seed", "1"));
    Random random = new Random(seed);
    String[] paths = new String[keys];
    long[] sizes = new long[keys];
    for (int i = 0; i < keys; i++) {
      paths[i] = "cache/tenant" + random.nextInt(10_000) + "/source" + random.nextInt(20) + "/report" + i;
      sizes[i] = (long) Math.min(1L << 30, Math.exp(random.nextGaussian() * 2 + 11)); // log-normal, median ~60 KiB
    }
    System.out.printf(Locale.ROOT, "# %,d simulated flights, %s in all (log-normal sizes, median %s)%n", keys,
        bytes(Arrays.stream(sizes).sum()), bytes(median(sizes)));

    System.out.println();
    System.out.println("## Balance: keys and bytes per node (placement by path)");
    System.out.println("| nodes | replicas | keys max/mean | keys min/mean | bytes max/mean | bytes min/mean |");
    System.out.println("|---|---|---|---|---|---|");
    for (int n : new int[] {3, 10, 100}) {
      for (int r : new int[] {1, 2}) {
        List<String> nodes = nodes(n);
        Map<String, long[]> per = load(nodes, paths, sizes, r, 0);
        System.out.printf(Locale.ROOT, "| %d | %d | %.3f | %.3f | %.3f | %.3f |%n", n, r, ratio(per, 0, true), ratio(per, 0, false),
            ratio(per, 1, true), ratio(per, 1, false));
      }
    }

    System.out.println();
    System.out.println("## Movement: a node joins or leaves (placement by path)");
    System.out.println("| change | replicas | keys whose owners change | ideal (r/n) | bytes to copy | keys moved not touching the node |");
    System.out.println("|---|---|---|---|---|---|");
    for (int n : new int[] {3, 10, 100}) {
      for (int r : new int[] {1, 2}) {
        movement(paths, sizes, nodes(n), nodes(n + 1), "n" + n, r, "join " + n + "→" + (n + 1), 1.0 * r / (n + 1));
        movement(paths, sizes, nodes(n), nodes(n - 1 == 0 ? 1 : n).subList(0, n - 1), "n" + (n - 1), r,
            "leave " + n + "→" + (n - 1), 1.0 * r / n);
      }
    }

    System.out.println();
    System.out.println("## Placement by tenant (segments 2): balance when tenants are skewed (Zipf s=1.1 over 10,000 tenants)");
    System.out.println("| nodes | keys max/mean (by path) | keys max/mean (by tenant) | biggest tenant's share of all keys |");
    System.out.println("|---|---|---|---|");
    String[] zipfPaths = new String[keys];
    double[] cdf = zipf(10_000, 1.1);
    int[] tenantCounts = new int[10_000];
    for (int i = 0; i < keys; i++) {
      int t = Arrays.binarySearch(cdf, random.nextDouble());
      t = t < 0 ? -t - 1 : t;
      t = Math.min(t, 9_999);
      tenantCounts[t]++;
      zipfPaths[i] = "cache/tenant" + t + "/report" + i;
    }
    for (int n : new int[] {3, 10, 100}) {
      List<String> nodes = nodes(n);
      System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.1f %% |%n", n, ratio(load(nodes, zipfPaths, sizes, 1, 0), 0, true),
          ratio(load(nodes, zipfPaths, sizes, 1, 2), 0, true), 100.0 * Arrays.stream(tenantCounts).max().getAsInt() / keys);
    }

    System.out.println();
    System.out.println("## Cost of computing owners (one key, replicas 2)");
    System.out.println("| nodes | ns per key, node hashes per call | ns per key, node hashes per view (as the cluster runs) |"
        + " a rebalancing pass over 1M held flights |");
    System.out.println("|---|---|---|---|");
    for (int n : new int[] {3, 10, 100}) {
      List<String> nodes = nodes(n);
      Rendezvous.Nodes view = new Rendezvous.Nodes(nodes);
      int rounds = Math.min(keys, 300_000);
      long sink = 0;
      for (int i = 0; i < rounds; i++) { // warm up
        sink += Rendezvous.owners(paths[i], nodes, 2).size() + Rendezvous.owners(paths[i], view, 2).size();
      }
      long start = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        sink += Rendezvous.owners(paths[i], nodes, 2).size();
      }
      double perCall = (System.nanoTime() - start) / (double) rounds;
      start = System.nanoTime();
      for (int i = 0; i < rounds; i++) {
        sink += Rendezvous.owners(paths[i], view, 2).size();
      }
      double perView = (System.nanoTime() - start) / (double) rounds;
      System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f | %.2f s of CPU |%s%n", n, perCall, perView, perView * 1e6 / 1e9,
          sink == 0 ? " " : "");
    }
  }

  private static void movement(String[] paths, long[] sizes, List<String> before, List<String> after, String tag, int r, String label,
      double ideal) {
    java.util.Set<String> changed = new java.util.HashSet<>(before);
    changed.removeAll(after);
    java.util.Set<String> added = new java.util.HashSet<>(after);
    added.removeAll(before);
    long moved = 0;
    long bytes = 0;
    long stray = 0;
    for (int i = 0; i < paths.length; i++) {
      List<String> a = Rendezvous.owners(paths[i], before, r);
      List<String> b = Rendezvous.owners(paths[i], after, r);
      if (!new java.util.HashSet<>(a).equals(new java.util.HashSet<>(b))) {
        moved++;
        for (String node : b) {
          if (!a.contains(node)) {
            bytes += sizes[i]; // a new owner receives a copy
          }
        }
        boolean touches = a.stream().anyMatch(changed::contains) || b.stream().anyMatch(added::contains);
        if (!touches) {
          stray++;
        }
      }
    }
    long total = Arrays.stream(sizes).sum();
    System.out.printf(Locale.ROOT, "| %s | %d | %.2f %% | %.2f %% | %s (%.2f %% of all) | %d |%n", label, r, 100.0 * moved / paths.length,
        100.0 * ideal, bytes(bytes), 100.0 * bytes / total, stray);
  }

  static List<String> nodes(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("node-" + i);
    }
    return out;
  }

  /** Keys and bytes per node; {@code segments} > 0 places by that many leading path segments. */
  private static Map<String, long[]> load(List<String> nodes, String[] paths, long[] sizes, int replicas, int segments) {
    Map<String, long[]> per = new HashMap<>();
    nodes.forEach(n -> per.put(n, new long[2]));
    for (int i = 0; i < paths.length; i++) {
      String key = segments == 0 ? paths[i] : prefix(paths[i], segments);
      for (String node : Rendezvous.owners(key, nodes, replicas)) {
        long[] c = per.get(node);
        c[0]++;
        c[1] += sizes[i];
      }
    }
    return per;
  }

  private static String prefix(String path, int segments) {
    int at = -1;
    for (int s = 0; s < segments; s++) {
      at = path.indexOf('/', at + 1);
      if (at < 0) {
        return path;
      }
    }
    return path.substring(0, at);
  }

  private static double ratio(Map<String, long[]> per, int column, boolean max) {
    double mean = per.values().stream().mapToLong(c -> c[column]).average().orElse(0);
    long v = max ? per.values().stream().mapToLong(c -> c[column]).max().orElse(0) : per.values().stream().mapToLong(c -> c[column]).min().orElse(0);
    return v / mean;
  }

  private static double[] zipf(int n, double s) {
    double[] w = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, s);
      w[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      w[i] /= sum;
    }
    return w;
  }

  private static long median(long[] v) {
    long[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  static String bytes(long b) {
    double v = b;
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
