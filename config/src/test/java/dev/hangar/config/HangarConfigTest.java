package dev.hangar.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A config built in code is checked like one parsed from YAML. */
class HangarConfigTest {
  private final HangarConfig defaults = HangarConfig.defaults();

  private HangarConfig with(List<StorageClassConfig> classes, List<LimitPolicyConfig> policies) {
    return new HangarConfig(defaults.server(), defaults.storage(), defaults.durableStores(), classes, policies, defaults.sql());
  }

  @Test
  void tiersOutOfOrderUnknownStoresAndUnknownClassesAreRefused() {
    StorageClassConfig backwards = StorageClassConfig.ephemeral("a/", TierConfig.of(StorageType.DISK), TierConfig.of(StorageType.MEMORY));
    StorageClassConfig noStore = new StorageClassConfig("b/", Durability.STRONG, Optional.of("nowhere"), "", Optional.empty(), 1,
        List.of(TierConfig.of(StorageType.MEMORY)));
    LimitPolicyConfig policy = new LimitPolicyConfig.Standard(List.of("c/"),
        new LimitPolicyConfig.Limits(java.util.OptionalLong.empty(), java.util.OptionalLong.of(10), java.util.OptionalLong.empty()));
    assertThatThrownBy(() -> with(List.of(backwards, noStore), List.of(policy)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("storage class \"a/\": tier memory comes after disk; list tiers fastest first (memory, disk_mapped, disk), each once")
        .hasMessageContaining("storage class \"b/\" names durable store \"nowhere\", which is not defined")
        .hasMessageContaining("a limit policy names storage class \"c/\", which is not defined");
  }
}
