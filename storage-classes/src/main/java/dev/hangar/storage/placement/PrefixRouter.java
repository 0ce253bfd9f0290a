package dev.hangar.storage.placement;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Longest-prefix match over strings, in time proportional to the path's length whatever the number
 * of prefixes (a character trie). Immutable once built; safe to share between threads.
 */
public final class PrefixRouter<T> {
  private final Node<T> root = new Node<>();

  private PrefixRouter() {}

  /** Builds a router over {@code prefixes}; a prefix given twice keeps its last value. */
  public static <T> PrefixRouter<T> of(Map<String, T> prefixes) {
    PrefixRouter<T> router = new PrefixRouter<>();
    prefixes.forEach(router::add);
    return router;
  }

  private void add(String prefix, T value) {
    Node<T> node = root;
    for (int i = 0; i < prefix.length(); i++) {
      node = node.children.computeIfAbsent(prefix.charAt(i), c -> new Node<>());
    }
    node.value = value;
  }

  /** The value of the longest prefix of {@code path}, if any prefix matches ({@code ""} matches all). */
  public Optional<T> route(String path) {
    Node<T> node = root;
    T best = node.value;
    for (int i = 0; i < path.length() && node != null; i++) {
      node = node.children.get(path.charAt(i));
      if (node != null && node.value != null) {
        best = node.value;
      }
    }
    return Optional.ofNullable(best);
  }

  private static final class Node<T> {
    final Map<Character, Node<T>> children = new HashMap<>(4);
    T value;
  }
}
