package dev.hangar.server.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SecretsTest {
  /** One base64url token in 64 starts with '-'; 5,000 draws miss that with odds of about e^-78. */
  @Test
  void tokensAreBase64UrlAndNeverLookLikeACommandLineOption() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 5_000; i++) {
      String token = Secrets.newToken();
      assertThat(token).hasSize(43).matches("[A-Za-z0-9_-]+").doesNotStartWith("-");
      assertThat(seen.add(token)).as("tokens are not repeated").isTrue();
    }
  }
}
