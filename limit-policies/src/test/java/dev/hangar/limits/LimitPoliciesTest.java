package dev.hangar.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.HangarConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LimitPoliciesTest {
  /** A config with classes cache/, logs/ and "", plus {@code policies} (YAML list items). */
  static LimitPolicies policies(String policies) {
    String yaml = """
        storage: {memory: {capacity: 1GiB}}
        storageClasses:
          - {prefix: cache/, tiers: [{storage: memory}]}
          - {prefix: logs/, tiers: [{storage: memory}]}
          - {prefix: "", tiers: [{storage: memory}]}
        limitPolicies:
        """ + policies;
    return new LimitPolicies(HangarConfig.parse(yaml, "test", Map.of()).limitPolicies());
  }

  static List<String> keys(List<Scope> scopes) {
    return scopes.stream().map(s -> s.policyName() + " " + s.key()).toList();
  }

  @Test
  void standardCoversEveryFlightOfItsClasses() {
    LimitPolicies p = policies("  - {type: standard, storageClasses: [cache/, logs/], total: 1GiB}\n");
    assertThat(keys(p.scopesOf("cache/", "cache/a/b"))).containsExactly("limitPolicies[0] (standard) cache/, logs/");
    assertThat(p.scopesOf("logs/", "logs/x")).hasSize(1).first().isEqualTo(p.scopesOf("cache/", "cache/y").get(0));
    assertThat(p.scopesOf("", "other/x")).isEmpty();
  }

  @Test
  void segmentedHasOneScopePerValueIncludingNewOnes() {
    LimitPolicies p = policies("  - {type: segmented, storageClasses: [cache/], segment: 1, ephemeral: 1GiB}\n"
        + "  - {type: segmented, storageClasses: [cache/], segment: 2, flights: 10}\n");
    assertThat(keys(p.scopesOf("cache/", "cache/postgres/q1/r")))
        .containsExactly("limitPolicies[0] (segmented) cache/postgres", "limitPolicies[1] (segmented) cache/postgres/q1");
    assertThat(keys(p.scopesOf("cache/", "cache/never-seen-before/x"))).hasSize(2).first()
        .isEqualTo("limitPolicies[0] (segmented) cache/never-seen-before");
    assertThat(keys(p.scopesOf("cache/", "cache/solo"))).containsExactly("limitPolicies[0] (segmented) cache/solo");
    assertThat(p.scopesOf("logs/", "logs/postgres/x")).isEmpty();
  }

  @Test
  void hierarchicalAppliesDefaultsOverridesAndChildren() {
    LimitPolicies p = policies("""
          - type: hierarchical
            storageClasses: [cache/]
            levels: [tenant, dataSource]
            default: {total: 5GiB}
            overrides:
              tenant1: {total: 10GiB, children: {dataSource1: {total: 6GiB}}}
        """);
    List<Scope> deep = p.scopesOf("cache/", "cache/tenant1/dataSource1/report");
    assertThat(keys(deep)).containsExactly("limitPolicies[0] (hierarchical) cache/tenant1",
        "limitPolicies[0] (hierarchical) cache/tenant1/dataSource1");
    assertThat(deep.get(0).limits().total()).hasValue(10L << 30);
    assertThat(deep.get(1).limits().total()).hasValue(6L << 30);
    assertThat(keys(p.scopesOf("cache/", "cache/tenant1/dataSource2/r"))).containsExactly("limitPolicies[0] (hierarchical) cache/tenant1");
    List<Scope> other = p.scopesOf("cache/", "cache/tenant7/ds/r");
    assertThat(keys(other)).containsExactly("limitPolicies[0] (hierarchical) cache/tenant7");
    assertThat(other.get(0).limits().total()).hasValue(5L << 30);
  }

  @Test
  void severalPoliciesOnOneClassAllApply() {
    LimitPolicies p = policies("""
          - {type: standard, storageClasses: [cache/], total: 50GiB}
          - {type: segmented, storageClasses: [cache/], segment: 1, ephemeral: 1GiB}
          - {type: hierarchical, storageClasses: [cache/], levels: [tenant], default: {flights: 100}}
        """);
    assertThat(keys(p.scopesOf("cache/", "cache/t1/x"))).containsExactly(
        "limitPolicies[0] (standard) cache/", "limitPolicies[1] (segmented) cache/t1", "limitPolicies[2] (hierarchical) cache/t1");
  }
}
