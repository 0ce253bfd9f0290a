package dev.hangar.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
      """);
  static final LimitPolicies EPHEMERAL = LimitPoliciesTest.policies("""
        - {type: segmented, storageClasses: [cache/], segment: 1, ephemeral: 1GiB}
      """);
  static final long GIB = 1L << 30;

  final UsageLedger ledger = new UsageLedger();
  long versions;

  List<Scope> scopes(String path) {
    return POLICIES.scopesOf("cache/", path);
  }

  /** A whole put of {@code size} bytes that arrive in one piece; returns its version. */
  long put(String path, long size) {
    UsageLedger.Reservation r = ledger.reserve(path, scopes(path), 0);
    try {
      grow(r, size);
      ledger.settle(r, size);
    } catch (RuntimeException e) {
      ledger.release(r);
      throw e;
    }
    ledger.commit(r, size, ++versions, Optional.empty());
    return versions;
  }

  /** Grows by {@code size} ignoring ephemeral limits (the tests here are about quotas). */
  void grow(UsageLedger.Reservation r, long size) {
    Scope full = ledger.grow(r, size);
    assertThat(full).as("ephemeral room").isNull();
  }

  UsageLedger.Usage usage(String path, int scope) {
    return ledger.usage(scopes(path).get(scope));
  }

  @Test
  void aPutMustFitEveryAncestorOrChargesNothing() {
    put("cache/tenant1/dataSource2/a", GIB / 2);
    UsageLedger.Reservation big = ledger.reserve("cache/tenant1/dataSource2/b", scopes("cache/tenant1/dataSource2/b"), 3 * GIB);
    put("cache/tenant1/dataSource1/a", GIB / 2);
    // tenant1 holds 4GiB (3GiB of it reserved): 7GiB more fits neither tenant1 (10GiB) nor dataSource1 (6GiB)
    assertThatThrownBy(() -> ledger.reserve("cache/tenant1/dataSource1/b", scopes("cache/tenant1/dataSource1/b"), 7 * GIB))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessage("Cannot store flight \"cache/tenant1/dataSource1/b\": limitPolicies[0] (hierarchical) scope"
            + " \"cache/tenant1\" allows total 10GiB; 4GiB is in use and this put needs 7GiB more"
            + " (delete flights under cache/tenant1, or raise the limit)");
    assertThat(usage("cache/tenant1/dataSource1/x", 0)).isEqualTo(new UsageLedger.Usage(GIB, 4 * GIB, 3));
    ledger.release(big);
    assertThatThrownBy(() -> ledger.reserve("cache/tenant1/dataSource1/b", scopes("cache/tenant1/dataSource1/b"), 7 * GIB))
        .hasMessageContaining("scope \"cache/tenant1/dataSource1\" allows total 6GiB; 512MiB is in use and this put needs 7GiB more");
    put("cache/tenant1/dataSource1/tiny", 1); // the second flight of dataSource1
    assertThatThrownBy(() -> put("cache/tenant1/dataSource1/c", 1))
        .hasMessage("Cannot store flight \"cache/tenant1/dataSource1/c\": limitPolicies[0] (hierarchical) scope"
            + " \"cache/tenant1/dataSource1\" allows 2 flights and holds 2 (delete flights under cache/tenant1/dataSource1, or raise the limit)");
    assertThat(ledger.openReservations()).isZero();
    assertThat(usage("cache/tenant1/dataSource1/x", 1)).isEqualTo(new UsageLedger.Usage(GIB / 2 + 1, GIB / 2 + 1, 2));
  }

  @Test
  void anOverwriteIsChargedOnlyBeyondTheFlightItReplacesAndNeedsNoSecondFlight() {
    String a = "cache/tenant1/dataSource1/a";
    put(a, GIB);
    put("cache/tenant1/dataSource1/b", 4 * GIB);
    long v = put(a, 2 * GIB); // at the flights quota, 1GiB from the 6GiB total: an overwrite to 2GiB fits
    assertThat(usage(a, 1)).isEqualTo(new UsageLedger.Usage(6 * GIB, 6 * GIB, 2));
    assertThatThrownBy(() -> put(a, 3 * GIB)) // 4 + 3 > 6
        .hasMessageContaining("allows total 6GiB; 6GiB is in use and this put needs 1GiB more (beyond the 2GiB of the flight it replaces)");
    // while a smaller overwrite uploads, both copies occupy tiers; the old size counts until it commits
    UsageLedger.Reservation r = ledger.reserve(a, scopes(a), 0);
    grow(r, GIB);
    assertThat(usage(a, 1)).isEqualTo(new UsageLedger.Usage(7 * GIB, 6 * GIB, 2));
    ledger.settle(r, GIB);
    ledger.commit(r, GIB, ++versions, Optional.empty());
    assertThat(usage(a, 1)).isEqualTo(new UsageLedger.Usage(5 * GIB, 5 * GIB, 2));
    ledger.gone(a, v); // a late report about the replaced version changes nothing
    assertThat(usage(a, 1)).isEqualTo(new UsageLedger.Usage(5 * GIB, 5 * GIB, 2));
    assertThat(ledger.openReservations()).isZero();
  }

  @Test
  void whenTheReplacedFlightGoesTheOverwriteNeedsItsOwnRoomUnlessItIsAlreadyCommitting() {
    String a = "cache/tenant1/dataSource1/a";
    long v = put(a, 1);
    put("cache/tenant1/dataSource1/b", 1);
    UsageLedger.Reservation r = ledger.reserve(a, scopes(a), 0); // an overwrite: no second flight
    ledger.gone(a, v); // the old flight expires while the new one uploads: its slot is free at once
    put("cache/tenant1/dataSource1/c", 1);
    grow(r, 5);
    assertThatThrownBy(() -> ledger.settle(r, 5)).hasMessageContaining("allows 2 flights and holds 2");
    ledger.release(r);
    // settled (committing a durable copy, say) when the old flight goes: its bytes and slot pass to the put
    String b = "cache/tenant1/dataSource1/b";
    UsageLedger.Reservation s = ledger.reserve(b, scopes(b), 0);
    grow(s, 3);
    ledger.settle(s, 3); // b (1) and c (1), and 2 beyond b's old size
    assertThat(usage(b, 1)).isEqualTo(new UsageLedger.Usage(5, 4, 2));
    ledger.gone(b, versions - 1); // its old 1 byte stays counted, now as part of the put
    assertThat(usage(b, 1)).isEqualTo(new UsageLedger.Usage(4, 4, 2));
    ledger.commit(s, 3, ++versions, Optional.empty());
    assertThat(usage(b, 1)).isEqualTo(new UsageLedger.Usage(4, 4, 2));
  }

  @Test
  void durableFlightsKeepTheirTotalOutOfTiersAndStopCountingWhenTheyExpire() {
    String a = "cache/tenant2/x/a";
    long v = put(a, 100);
    ledger.leftTier(a, v); // evicted; its durable copy remains
    assertThat(usage(a, 0)).isEqualTo(new UsageLedger.Usage(0, 100, 1));
    UsageLedger.Reservation restore = ledger.reserveRestore(a, scopes(a));
    grow(restore, 100);
    ledger.restored(restore, 100, ++versions, Optional.empty());
    assertThat(usage(a, 0)).isEqualTo(new UsageLedger.Usage(100, 100, 1));
    ledger.recover("cache/tenant2/x/b", scopes("cache/tenant2/x/b"), 300, Optional.of(Instant.parse("2026-01-01T00:00:00Z")));
    ledger.recover(a, scopes(a), 999, Optional.empty()); // already counted: ignored
    assertThat(usage(a, 0)).isEqualTo(new UsageLedger.Usage(100, 400, 2));
    assertThat(ledger.expire(Instant.parse("2026-01-01T00:00:00Z"))).containsExactly("cache/tenant2/x/b");
    assertThat(usage(a, 0)).isEqualTo(new UsageLedger.Usage(100, 100, 1));
    ledger.gone(a, versions);
    assertThat(ledger.snapshot()).isEmpty();
    assertThat(ledger.flights()).isEmpty();
  }

  @Test
  void aFullEphemeralLimitAsksForRoomInsteadOfFailing() {
    String q = "cache/postgres/q";
    UsageLedger.Reservation r = ledger.reserve(q, EPHEMERAL.scopesOf("cache/", q), 0);
    grow(r, GIB - 100);
    Scope full = ledger.grow(r, 300);
    assertThat(full.key()).isEqualTo("cache/postgres");
    assertThat(ledger.reservedEphemeral(r)).isEqualTo(GIB - 100); // nothing charged
    String s = "cache/snowflake/q";
    UsageLedger.Reservation sibling = ledger.reserve(s, EPHEMERAL.scopesOf("cache/", s), 0);
    assertThat(ledger.grow(sibling, 300)).isNull(); // its sibling is untouched
    ledger.release(r);
    ledger.release(sibling);
    ledger.release(sibling); // idempotent
    assertThat(ledger.snapshot()).isEmpty();
    assertThat(ledger.openReservations()).isZero();
  }

  @Test
  void racingPutsNeverTakeMoreThanTheQuota() throws Exception {
    long piece = 64L << 20; // 80 pieces fit tenant3's default 5GiB
    AtomicInteger admitted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int t = 0; t < 8; t++) {
      int thread = t;
      pool.execute(() -> {
        for (int i = 0; i < 50; i++) {
          String path = "cache/tenant3/x/" + thread + "-" + i;
          try {
            UsageLedger.Reservation r = ledger.reserve(path, scopes(path), piece / 2); // half announced, half streamed
            try {
              ledger.grow(r, piece);
              ledger.settle(r, piece);
            } catch (QuotaExceededException e) {
              ledger.release(r);
              throw e;
            }
            synchronized (this) {
              ledger.commit(r, piece, ++versions, Optional.empty());
            }
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
    assertThat(usage("cache/tenant3/x/y", 0).total()).isEqualTo(5 * GIB);
    assertThat(ledger.openReservations()).isZero();
  }
}
