package dev.hangar.server.cluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Rendezvous (highest-random-weight) hashing: every node gets a score for a key, and the key's owners
 * are the nodes with the highest scores. A node that joins takes only the keys it now scores highest
 * on, about 1/n of them, from the nodes that held them; a node that leaves hands each of its keys to
 * the next node in that key's order. Nothing is stored per key: any node computes the same owners
 * from the same member list.
 */
public final class Rendezvous {
  private Rendezvous() {}

  /** Node ids with their hashes worked out once (per membership view), for many {@link #owners(String, Nodes, int)} calls. */
  public static final class Nodes {
    private final String[] ids;
    private final long[] hashes;

    public Nodes(List<String> ids) {
      this.ids = ids.toArray(new String[0]);
      this.hashes = new long[this.ids.length];
      for (int i = 0; i < this.ids.length; i++) {
        hashes[i] = hash(this.ids[i]);
      }
    }

    public int size() {
      return ids.length;
    }
  }

  /** The first {@code n} of {@code nodes} (node ids) in {@code key}'s order: its owners, primary first. */
  public static List<String> owners(String key, List<String> nodes, int n) {
    return owners(key, new Nodes(nodes), n);
  }

  /** As {@link #owners(String, List, int)}, over node hashes worked out beforehand. */
  public static List<String> owners(String key, Nodes nodes, int n) {
    long k = hash(key);
    int count = Math.min(n, nodes.size());
    String[] best = new String[count];
    long[] scores = new long[count];
    int filled = 0;
    for (int i = 0; count > 0 && i < nodes.ids.length; i++) {
      String node = nodes.ids[i];
      long score = mix(k ^ nodes.hashes[i]);
      if (filled == count && compare(score, node, scores[count - 1], best[count - 1]) <= 0) {
        continue;
      }
      int at = Math.min(filled, count - 1); // an empty slot, or the lowest entry, which drops out
      while (at > 0 && compare(score, node, scores[at - 1], best[at - 1]) > 0) {
        best[at] = best[at - 1];
        scores[at] = scores[at - 1];
        at--;
      }
      best[at] = node;
      scores[at] = score;
      filled = Math.min(filled + 1, count);
    }
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < filled; i++) {
      out.add(best[i]);
    }
    return out;
  }

  /** Higher score first; equal scores (practically never) by node id, so every node agrees. */
  private static int compare(long score, String node, long otherScore, String other) {
    int c = Long.compareUnsigned(score, otherScore);
    return c != 0 ? c : other.compareTo(node);
  }

  /** 64-bit FNV-1a of the UTF-8 bytes, finished with a mixer so that similar strings spread. */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  /** The SplitMix64 finalizer. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
