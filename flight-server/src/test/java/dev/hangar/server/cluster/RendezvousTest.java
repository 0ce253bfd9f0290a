package dev.hangar.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RendezvousTest {
  private static List<String> nodes(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("node-" + i);
    }
    return out;
  }

  @Test
  void ownersAreDistinctOrderedAndIndependentOfListOrder() {
    List<String> nodes = nodes(7);
    List<String> reversed = new ArrayList<>(nodes);
    java.util.Collections.reverse(reversed);
    for (int k = 0; k < 1000; k++) {
      List<String> owners = Rendezvous.owners("cache/t/" + k, nodes, 3);
      assertThat(owners).hasSize(3).doesNotHaveDuplicates();
      assertThat(Rendezvous.owners("cache/t/" + k, reversed, 3)).isEqualTo(owners);
      assertThat(Rendezvous.owners("cache/t/" + k, nodes, 1)).containsExactly(owners.get(0));
      assertThat(Rendezvous.owners("cache/t/" + k, nodes, 7)).startsWith(owners.toArray(String[]::new));
    }
    assertThat(Rendezvous.owners("x", nodes(2), 5)).hasSize(2);
    assertThat(Rendezvous.owners("x", List.of(), 2)).isEmpty();
    assertThat(Rendezvous.owners("x", nodes(3), 0)).isEmpty();
  }

  @Test
  void keysSpreadEvenlyAndALeavingNodeMovesOnlyItsOwn() {
    List<String> nodes = nodes(10);
    int keys = 100_000;
    Map<String, Integer> load = new HashMap<>();
    List<String> before = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      String owner = Rendezvous.owners("cache/tenant/" + k, nodes, 1).get(0);
      before.add(owner);
      load.merge(owner, 1, Integer::sum);
    }
    for (int n : load.values()) {
      assertThat(n).as("each of 10 nodes owns about a tenth").isBetween(keys / 10 * 95 / 100, keys / 10 * 105 / 100);
    }
    List<String> without = new ArrayList<>(nodes);
    without.remove("node-3");
    int moved = 0;
    for (int k = 0; k < keys; k++) {
      String owner = Rendezvous.owners("cache/tenant/" + k, without, 1).get(0);
      if (!owner.equals(before.get(k))) {
        moved++;
        assertThat(before.get(k)).as("only the leaving node's keys move").isEqualTo("node-3");
      }
    }
    assertThat(moved).isEqualTo(load.get("node-3"));
    List<String> with = new ArrayList<>(nodes);
    with.add("node-new");
    int taken = 0;
    for (int k = 0; k < keys; k++) {
      String owner = Rendezvous.owners("cache/tenant/" + k, with, 1).get(0);
      if (!owner.equals(before.get(k))) {
        taken++;
        assertThat(owner).as("a joining node only takes keys").isEqualTo("node-new");
      }
    }
    assertThat(taken).isBetween(keys / 11 * 90 / 100, keys / 11 * 110 / 100);
  }
}
