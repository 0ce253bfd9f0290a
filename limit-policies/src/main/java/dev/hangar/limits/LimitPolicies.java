package dev.hangar.limits;

import dev.hangar.config.LimitPolicyConfig;
import dev.hangar.config.LimitPolicyConfig.Limits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The configured limit policies, and which of their scopes govern a flight path. A path is in a
 * policy's scope only through its storage class: the policy must list the class, and segments
 * are counted after the class prefix ({@code segment: 1} of {@code cache/postgres/q1} in class
 * {@code cache/} is {@code postgres}). Only scopes that set a limit are returned.
 */
public final class LimitPolicies {
  private final List<LimitPolicyConfig> configs;

  public LimitPolicies(List<LimitPolicyConfig> configs) {
    this.configs = List.copyOf(configs);
  }

  /** The policies, in config order ({@link Scope#policy()} indexes this list). */
  public List<LimitPolicyConfig> configs() {
    return configs;
  }

  public boolean isEmpty() {
    return configs.isEmpty();
  }

  /**
   * The scopes that govern the flight at {@code path}, stored in the class with prefix {@code
   * classPrefix}: per policy in config order, outer levels before inner ones.
   */
  public List<Scope> scopesOf(String classPrefix, String path) {
    List<Scope> out = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      LimitPolicyConfig c = configs.get(i);
      if (!c.storageClasses().contains(classPrefix) || !path.startsWith(classPrefix)) {
        continue;
      }
      String name = "limitPolicies[" + i + "] (" + c.type() + ")";
      if (c instanceof LimitPolicyConfig.Standard s) {
        add(out, new Scope(i, name, String.join(", ", s.storageClasses()), s.limits()));
      } else if (c instanceof LimitPolicyConfig.Segmented s) {
        List<String> segments = segments(classPrefix, path);
        if (segments.size() >= s.segment()) {
          add(out, new Scope(i, name, scopeKey(classPrefix, segments, s.segment()), s.limits()));
        }
      } else if (c instanceof LimitPolicyConfig.Hierarchical h) {
        hierarchy(out, i, name, h, classPrefix, segments(classPrefix, path));
      }
    }
    return out;
  }

  private static void hierarchy(List<Scope> out, int i, String name, LimitPolicyConfig.Hierarchical h, String classPrefix,
      List<String> segments) {
    Map<String, LimitPolicyConfig.Node> level = h.overrides();
    for (int depth = 1; depth <= h.levels().size() && depth <= segments.size(); depth++) {
      String value = segments.get(depth - 1);
      LimitPolicyConfig.Node node = level == null ? null : level.get(value);
      Limits limits = node != null ? node.limits() : depth == 1 ? h.defaults() : Limits.NONE;
      add(out, new Scope(i, name, scopeKey(classPrefix, segments, depth), limits));
      level = node == null ? null : node.children();
    }
  }

  private static void add(List<Scope> out, Scope scope) {
    if (scope.limits() != null && !scope.limits().isEmpty()) {
      out.add(scope);
    }
  }

  /** The path's segments after the class prefix. */
  private static List<String> segments(String classPrefix, String path) {
    String rest = path.substring(classPrefix.length());
    while (rest.startsWith("/")) {
      rest = rest.substring(1);
    }
    return rest.isEmpty() ? List.of() : List.of(rest.split("/"));
  }

  /** The class prefix and the first {@code depth} segments, e.g. {@code cache/tenant1}. */
  private static String scopeKey(String classPrefix, List<String> segments, int depth) {
    String base = classPrefix.isEmpty() || classPrefix.endsWith("/") ? classPrefix : classPrefix + "/";
    return base + String.join("/", segments.subList(0, depth));
  }
}
