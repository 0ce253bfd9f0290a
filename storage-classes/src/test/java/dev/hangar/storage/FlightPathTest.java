package dev.hangar.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.storage.placement.PrefixRouter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlightPathTest {
  @Test
  void segmentsJoinIntoOnePath() {
    assertThat(FlightPath.of(List.of("a", "b"))).isEqualTo("a/b");
    assertThat(FlightPath.of(List.of("a/b"))).isEqualTo("a/b");
    assertThat(FlightPath.validate("cache/tenant1/dataSource1/report123")).isEqualTo("cache/tenant1/dataSource1/report123");
    assertThat(FlightPath.validate("ünïcode/日本")).isEqualTo("ünïcode/日本");
  }

  @Test
  void eachRuleHasItsOwnMessage() {
    assertThatThrownBy(() -> FlightPath.validate("")).isInstanceOf(InvalidFlightPathException.class)
        .hasMessage("Invalid flight path \"\": it is empty (use e.g. cache/tenant1/report)");
    assertThatThrownBy(() -> FlightPath.of(List.of()))
        .hasMessage("Invalid flight path: the descriptor has no path segments");
    assertThatThrownBy(() -> FlightPath.validate("a//b"))
        .hasMessage("Invalid flight path \"a//b\": segment 2 is empty (no leading, trailing or double slashes)");
    assertThatThrownBy(() -> FlightPath.validate("/a")).hasMessageContaining("segment 1 is empty");
    assertThatThrownBy(() -> FlightPath.validate("a/")).hasMessageContaining("segment 2 is empty");
    assertThatThrownBy(() -> FlightPath.of(List.of("a", ""))).hasMessageContaining("segment 2 is empty");
    assertThatThrownBy(() -> FlightPath.validate("a/../b"))
        .hasMessage("Invalid flight path \"a/../b\": segment 2 is \"..\", which is not allowed");
    assertThatThrownBy(() -> FlightPath.validate("./b")).hasMessage("Invalid flight path \"./b\": segment 1 is \".\", which is not allowed");
    assertThatThrownBy(() -> FlightPath.validate("a/b\nc"))
        .hasMessage("Invalid flight path \"a/b\\u000ac\": segment 2 contains control character U+000A");
    assertThatThrownBy(() -> FlightPath.validate("a\\b"))
        .hasMessage("Invalid flight path \"a\\b\": segment 1 contains a backslash (segments are separated by /)");
    assertThatThrownBy(() -> FlightPath.validate("a/" + "x".repeat(256)))
        .hasMessageStartingWith("Invalid flight path \"a/xxx").hasMessageEndingWith("segment 2 is 256 bytes of UTF-8, more than the limit of 255");
    assertThatThrownBy(() -> FlightPath.validate("é".repeat(128) + "/" + "b".repeat(800)))
        .hasMessageEndingWith("it is 1057 bytes of UTF-8, more than the limit of 1024");
  }

  @Test
  void limitsCountUtf8BytesNotCharacters() {
    String segment = "é".repeat(127); // 254 bytes
    assertThat(FlightPath.validate(segment)).isEqualTo(segment);
    assertThatThrownBy(() -> FlightPath.validate(segment + "é")).hasMessageContaining("256 bytes of UTF-8");
  }

  @Test
  void ticketsMustBeUtf8() {
    assertThat(FlightPath.fromUtf8("a/b".getBytes(StandardCharsets.UTF_8), "ticket")).isEqualTo("a/b");
    assertThat(FlightPath.fromUtf8("ünïcode/日本/😀".getBytes(StandardCharsets.UTF_8), "ticket")).isEqualTo("ünïcode/日本/😀");
    assertThatThrownBy(() -> FlightPath.fromUtf8("a/b\tc".getBytes(StandardCharsets.US_ASCII), "ticket"))
        .hasMessage("Invalid flight path \"a/b\\u0009c\": segment 2 contains control character U+0009");
    assertThatThrownBy(() -> FlightPath.fromUtf8(new byte[] {(byte) 0xff, 0x00, 0x41}, "ticket"))
        .isInstanceOf(InvalidFlightPathException.class)
        .hasMessage("Invalid ticket: it is not UTF-8 text (expected a flight path such as cache/tenant1/report)");
  }

  @Test
  void longestPrefixWins() {
    PrefixRouter<String> router = PrefixRouter.of(Map.of("", "all", "cache/", "cache", "cache/tenant1/", "t1", "cache/t", "ct"));
    assertThat(router.route("cache/tenant1/x")).contains("t1");
    assertThat(router.route("cache/tenant2/x")).contains("ct");
    assertThat(router.route("cache/other")).contains("cache");
    assertThat(router.route("cachex")).contains("all");
    assertThat(router.route("")).contains("all");
    assertThat(PrefixRouter.of(Map.of("a/", 1)).route("b/c")).isEmpty();
  }

  @Test
  void routingStaysCorrectWithThousandsOfClasses() {
    Map<String, Integer> prefixes = new HashMap<>();
    for (int i = 0; i < 5000; i++) {
      prefixes.put("cache/tenant" + i + "/", i);
    }
    prefixes.put("cache/", -1);
    PrefixRouter<Integer> router = PrefixRouter.of(prefixes);
    for (int i = 0; i < 5000; i += 7) {
      assertThat(router.route("cache/tenant" + i + "/ds/report")).contains(i);
    }
    assertThat(router.route("cache/tenant5000/x")).contains(-1);
    assertThat(router.route("cache/tenant1")).contains(-1);
  }
}
