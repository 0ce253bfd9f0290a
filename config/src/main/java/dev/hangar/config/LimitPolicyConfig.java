package dev.hangar.config;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** A quota over one or more storage classes. */
public sealed interface LimitPolicyConfig {
  /** The prefixes of the storage classes this policy governs. */
  List<String> storageClasses();

  /** The YAML {@code type}: {@code standard}, {@code segmented} or {@code hierarchical}. */
  String type();

  /**
   * The limits of one scope. {@code ephemeral}: bytes in this node's tiers (a cache: puts evict
   * within the scope); {@code total}: bytes including the durable store (a quota: puts fail);
   * {@code flights}: a count (a quota).
   */
  record Limits(OptionalLong ephemeral, OptionalLong total, OptionalLong flights) {
    public static final Limits NONE = new Limits(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty());

    public boolean isEmpty() {
      return ephemeral.isEmpty() && total.isEmpty() && flights.isEmpty();
    }
  }

  /** One limit over everything in the listed classes. */
  record Standard(List<String> storageClasses, Limits limits) implements LimitPolicyConfig {
    @Override
    public String type() {
      return "standard";
    }
  }

  /** One limit per distinct value of path segment {@code segment} (1 = first segment after the class prefix). */
  record Segmented(List<String> storageClasses, int segment, Limits limits) implements LimitPolicyConfig {
    @Override
    public String type() {
      return "segmented";
    }
  }

  /**
   * Limits on several levels of the path: level i is segment i+1 after the class prefix. Values
   * not listed in {@code overrides} get {@code defaults} (on the first level).
   */
  record Hierarchical(
      List<String> storageClasses, List<String> levels, Limits defaults, Map<String, Node> overrides)
      implements LimitPolicyConfig {
    @Override
    public String type() {
      return "hierarchical";
    }
  }

  /** The limits of one named value in a hierarchy and of the values below it. */
  record Node(Limits limits, Map<String, Node> children) {}
}
