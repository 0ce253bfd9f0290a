package dev.hangar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SizesAndDurationsTest {
  @Test
  void parsesEverySizeUnit() {
    assertThat(Sizes.parse("512")).isEqualTo(512);
    assertThat(Sizes.parse("0")).isZero();
    assertThat(Sizes.parse("64KiB")).isEqualTo(64 * 1024);
    assertThat(Sizes.parse("256MiB")).isEqualTo(256L << 20);
    assertThat(Sizes.parse("2GiB")).isEqualTo(2L << 30);
    assertThat(Sizes.parse("1TiB")).isEqualTo(1L << 40);
    assertThat(Sizes.parse("10B")).isEqualTo(10);
  }

  @Test
  void rejectsBadSizesWithTheValidForms() {
    assertThatThrownBy(() -> Sizes.parse("12XB"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("\"12XB\" is not a size (use bytes or a binary unit, e.g. 512, 64KiB, 256MiB, 2GiB, 1TiB)");
    assertThatThrownBy(() -> Sizes.parse("1GB")).hasMessageContaining("is not a size");
    assertThatThrownBy(() -> Sizes.parse("-1")).hasMessageContaining("is not a size");
    assertThatThrownBy(() -> Sizes.parse("99999999TiB")).hasMessage("\"99999999TiB\" is too large a size (at most 8191PiB)");
  }

  @Test
  void formatsSizesReadably() {
    assertThat(Sizes.format(512)).isEqualTo("512B");
    assertThat(Sizes.format(64 * 1024)).isEqualTo("64KiB");
    assertThat(Sizes.format(1536L << 20)).isEqualTo("1.5GiB");
  }

  @Test
  void parsesEveryDurationUnit() {
    assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("90m");
    assertThat(Durations.format(Duration.ofDays(7))).isEqualTo("7d");
  }

  @Test
  void rejectsBadDurations() {
    assertThatThrownBy(() -> Durations.parse("15"))
        .hasMessage("\"15\" is not a duration (use a whole number and a unit: 250ms, 30s, 15m, 2h, 7d)");
    assertThatThrownBy(() -> Durations.parse("1.5h")).hasMessageContaining("is not a duration");
    assertThatThrownBy(() -> Durations.parse("99999999999999999d")).hasMessageContaining("too long a duration");
  }

  /** Like Caffeine's spec fuzzer: any text either parses or fails with IllegalArgumentException. */
  @Test
  void randomTextOnlyEverFailsWithIllegalArgument() {
    Random random = new Random(42);
    String alphabet = "0123456789KMGTPiBmsdh .-+x";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(12);
      for (int j = 0; j < n; j++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String text = sb.toString();
      try {
        assertThat(Sizes.parse(text)).isNotNegative();
      } catch (IllegalArgumentException expected) {
        assertThat(expected.getMessage()).contains(text.trim().isEmpty() ? "\"" : text);
      }
      try {
        assertThat(Durations.parse(text).isNegative()).isFalse();
      } catch (IllegalArgumentException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
  }
}
