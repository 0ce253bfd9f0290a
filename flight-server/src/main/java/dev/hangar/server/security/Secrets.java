package dev.hangar.server.security;

import dev.hangar.config.AuthConfig;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * How secrets are stored and checked. Tokens are random strings of 256 bits, so one SHA-256 is
 * enough and lets a bearer call be checked with a map lookup. Passwords are chosen by people, so
 * they get PBKDF2-HMAC-SHA256 with a random salt and, from {@code hash-secret}, 600,000 iterations
 * (OWASP's 2023 figure); the JDK has it, so no library is needed. Comparisons take constant time.
 */
public final class Secrets {
  public static final int PASSWORD_ITERATIONS = 600_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Secrets() {}

  /**
   * A new bearer token: 32 random bytes, base64url without padding (43 characters). It never starts
   * with {@code -}, which command lines would take for an option ({@code --token -x…}).
   */
  public static String newToken() {
    byte[] b = new byte[32];
    String token;
    do {
      RANDOM.nextBytes(b);
      token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    } while (token.charAt(0) == '-');
    return token;
  }

  /** The stored form of a token: {@code sha256:<64 hex>}. */
  public static String tokenHash(String token) {
    return "sha256:" + HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
  }

  /** The stored form of a password, with a fresh salt: {@code pbkdf2-sha256:<iterations>:<salt>:<hash>}. */
  public static String passwordHash(char[] password, int iterations) {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return "pbkdf2-sha256:" + iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":"
        + Base64.getEncoder().encodeToString(pbkdf2(password, salt, iterations));
  }

  /** Whether {@code password} matches {@code stored} (a {@link #passwordHash}); false for a malformed one. */
  public static boolean passwordMatches(String stored, char[] password) {
    Matcher m = AuthConfig.PASSWORD_HASH.matcher(stored);
    if (!m.matches()) {
      return false;
    }
    byte[] expected = Base64.getDecoder().decode(m.group(3));
    byte[] actual = pbkdf2(password, Base64.getDecoder().decode(m.group(2)), Integer.parseInt(m.group(1)));
    return MessageDigest.isEqual(expected, actual);
  }

  static byte[] sha256(byte[] in) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(in);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  private static byte[] pbkdf2(char[] password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, 256);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no PBKDF2WithHmacSHA256", e);
    } finally {
      spec.clearPassword();
    }
  }
}
