package dev.hangar.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class UsageLedgerTest {
  static final LimitPolicies POLICIES = LimitPoliciesTest.policies("""
        - type: hierarchical
          storageClasses: [cache/]
          levels: [tenant, dataSource]
          default: {total: 5GiB}
          overrides:
            tenant1: {total: 10GiB, children: {dataSource1: {total: 6GiB, flights: 2}}}
        - {type: segmented, storageClasses: [cache/], segment: 1, ephemeral: 1GiB}
      """);
  static final long GIB = 1L << 30;

  final UsageLedger ledger = new UsageLedger();

  List<Scope> scopes(String path) {
    return POLICIES.scopesOf("cache/", path);
  }

  @Test
  void aChargeCoversEveryAncestorOrNone() {
    List<Scope> ds1 = scopes("cache/tenant1/dataSource1/a");
    List<Scope> ds2 = scopes("cache/tenant1/dataSource2/a");
    ledger.charge(ds2, GIB, 3 * GIB, 1, "cache/tenant1/dataSource2/a");
    ledger.charge(ds1, GIB, 5 * GIB, 1, "cache/tenant1/dataSource1/a");
    // tenant1 holds 8GiB: 3GiB more fits dataSource1 (6GiB) only up to 1GiB, tenant1 up to 2GiB
    assertThatThrownBy(() -> ledger.charge(ds1, 0, 2 * GIB, 1, "cache/tenant1/dataSource1/b"))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("Cannot store flight \"cache/tenant1/dataSource1/b\": limitPolicies[0] (hierarchical) scope"
            + " \"cache/tenant1/dataSource1\" allows total 6GiB; 5GiB is in use and this put needs 2GiB more"
            + " (delete flights under cache/tenant1/dataSource1, or raise the limit)");
    assertThat(ledger.usage(ds1.get(0))).isEqualTo(new UsageLedger.Usage(2 * GIB, 8 * GIB, 2)); // nothing charged
    assertThatThrownBy(() -> ledger.charge(ds2, 0, 3 * GIB, 1, "cache/tenant1/dataSource2/b"))
        .hasMessageContaining("scope \"cache/tenant1\" allows total 10GiB; 8GiB is in use and this put needs 3GiB more");
    ledger.charge(ds1, 0, 1, 1, "cache/tenant1/dataSource1/tiny"); // the second flight of dataSource1
    assertThatThrownBy(() -> ledger.charge(ds1, 0, 1, 1, "cache/tenant1/dataSource1/c"))
        .hasMessage("Cannot store flight \"cache/tenant1/dataSource1/c\": limitPolicies[0] (hierarchical) scope"
            + " \"cache/tenant1/dataSource1\" allows 2 flights and holds 2 (delete flights under cache/tenant1/dataSource1, or raise the limit)");
    ledger.charge(ds1, -GIB, -5 * GIB, -1, "cache/tenant1/dataSource1/a"); // deleted
    ledger.charge(ds1, 0, 2 * GIB, 1, "cache/tenant1/dataSource1/b");
    assertThat(ledger.usage(ds1.get(1))).isEqualTo(new UsageLedger.Usage(0, 2 * GIB + 1, 2));
  }

  @Test
  void releasedScopesDisappearAndUsageNeverGoesNegative() {
    List<Scope> s = scopes("cache/t9/x");
    ledger.charge(s, 10, 10, 1, "cache/t9/x");
    assertThat(ledger.snapshot()).hasSize(2);
    ledger.charge(s, -10, -10, -1, "cache/t9/x");
    assertThat(ledger.snapshot()).isEmpty();
    assertThatThrownBy(() -> ledger.charge(s, -1, 0, 0, "cache/t9/x")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void ephemeralLimitsAskForRoomInsteadOfFailing() {
    List<Scope> s = scopes("cache/postgres/q");
    ledger.charge(s, GIB - 100, 0, 0, "cache/postgres/q");
    Map<Scope, Long> excess = ledger.ephemeralExcess(s, 300);
    assertThat(excess).hasSize(1);
    assertThat(excess.keySet().iterator().next().key()).isEqualTo("cache/postgres");
    assertThat(excess.values()).containsExactly(200L);
    assertThat(ledger.ephemeralExcess(scopes("cache/snowflake/q"), 300)).isEmpty(); // its sibling is untouched
  }

  @Test
  void racingChargesNeverTakeMoreThanTheQuota() throws Exception {
    List<Scope> s = scopes("cache/tenant3/x"); // default: total 5GiB
    long piece = 64L << 20; // 80 pieces fit
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int t = 0; t < 8; t++) {
      pool.execute(() -> {
        for (int i = 0; i < 50; i++) {
          try {
            ledger.charge(s, 0, piece, 1, "cache/tenant3/x");
            admitted.incrementAndGet();
          } catch (QuotaExceededException e) {
            refused.incrementAndGet();
          }
        }
      });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    assertThat(admitted.get()).isEqualTo(80);
    assertThat(refused.get()).isEqualTo(400 - 80);
    assertThat(ledger.usage(s.get(0)).total()).isEqualTo(5 * GIB);
  }
}
