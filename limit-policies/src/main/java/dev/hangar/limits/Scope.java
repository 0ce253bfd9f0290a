package dev.hangar.limits;

import dev.hangar.config.LimitPolicyConfig.Limits;

/**
 * One scope of one limit policy: everything a standard policy covers, one value of a segmented
 * policy's segment, or one node of a hierarchy. {@code key} is the path prefix people read (e.g.
 * {@code cache/tenant1/dataSource1}); scopes are equal when their policy and key are.
 *
 * @param policy the policy's index in {@code limitPolicies}
 * @param policyName how messages name the policy, e.g. {@code limitPolicies[2] (hierarchical)}
 */
public record Scope(int policy, String policyName, String key, Limits limits) {
  @Override
  public boolean equals(Object o) {
    return o instanceof Scope s && s.policy == policy && s.key.equals(key);
  }

  @Override
  public int hashCode() {
    return 31 * policy + key.hashCode();
  }

  @Override
  public String toString() {
    return policyName + " scope \"" + key + "\"";
  }
}
