package dev.hangar.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code auth}: who may call the node and what each may do. Absent, the node is open to anyone
 * who reaches its port ({@link #NONE}: fine on loopback, warned about elsewhere). Present, every
 * call authenticates as one principal, by a bearer token, a user name and password (HTTP Basic,
 * which Handshake exchanges for a session token), or a client certificate (mutual TLS), and each
 * call is checked against the principal's grants.
 *
 * <p>Secrets are stored as hashes only ({@code ./hangar hash-secret} prints them): a token as
 * {@code sha256:<64 hex>} (tokens are long random strings, so one fast hash is enough), a password
 * as {@code pbkdf2-sha256:<iterations>:<salt base64>:<hash base64>}. Session tokens handed out by
 * Handshake live {@code sessionLifetime} (1h) and at most {@code maxSessions} (10,000) exist at once.
 * One principal may have at most {@code maxCallsPerPrincipal} (256) calls running at once.
 */
public record AuthConfig(List<Principal> principals, Duration sessionLifetime, int maxSessions, int maxCallsPerPrincipal) {
  public static final Duration DEFAULT_SESSION_LIFETIME = Duration.ofHours(1);
  public static final int DEFAULT_MAX_SESSIONS = 10_000;
  /** Calls one principal may have running at once; more are RESOURCE_EXHAUSTED. */
  public static final int DEFAULT_MAX_CALLS_PER_PRINCIPAL = 256;
  /** No authentication: every caller is {@link #ANONYMOUS}, with admin on every path. */
  public static final AuthConfig NONE = new AuthConfig(List.of(), DEFAULT_SESSION_LIFETIME, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_CALLS_PER_PRINCIPAL);
  public static final String ANONYMOUS = "anonymous";

  public static final Pattern TOKEN_HASH = Pattern.compile("sha256:[0-9a-f]{64}");
  public static final Pattern PASSWORD_HASH = Pattern.compile("pbkdf2-sha256:([0-9]{1,9}):([A-Za-z0-9+/=]{16,}):([A-Za-z0-9+/=]{43,})");
  /** Fewer PBKDF2 iterations than this is refused; {@code hash-secret} uses 600,000 (OWASP, 2023). */
  public static final int MIN_PBKDF2_ITERATIONS = 10_000;

  /** What a grant allows on the paths under its prefix; each level includes the ones before it. */
  public enum Access {
    /** DoGet, GetFlightInfo, GetSchema, ListFlights, describe, SQL over the flights. */
    READ,
    /** Also DoPut, delete, delete-prefix, RenewFlightEndpoint, query-to-flight targets. */
    WRITE,
    /** Also the node-wide actions ({@code stats}) when the prefix is empty. */
    ADMIN;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code access} on every flight whose path starts with {@code prefix} ("" is every path). */
  public record Grant(String prefix, Access access) {
    public Grant {
      Checks.check(prefix != null && access != null, "a grant needs a prefix and an access");
    }
  }

  /**
   * One caller: its credentials (any of them authenticates it) and its grants. {@code certificate}
   * is the subject of its client certificate, as RFC 2253 prints it (e.g. {@code CN=etl,O=Example}).
   */
  public record Principal(String name, List<String> tokenHashes, Optional<String> passwordHash, Optional<String> certificate,
      List<Grant> grants) {
    public Principal {
      tokenHashes = List.copyOf(tokenHashes);
      grants = List.copyOf(grants);
      Checks.check(name != null && !name.isBlank(), "a principal needs a name");
      Checks.check(!tokenHashes.isEmpty() || passwordHash.isPresent() || certificate.isPresent(),
          "principal \"%s\" has no credentials (give tokens, a password or a certificate)", name);
      for (String t : tokenHashes) {
        Checks.check(TOKEN_HASH.matcher(t).matches(), "principal \"%s\": a token must be stored as its hash (sha256:<64 hex>); run ./hangar hash-secret --token", name);
      }
      passwordHash.ifPresent(p -> Checks.check(PASSWORD_HASH.matcher(p).matches(),
          "principal \"%s\": the password must be stored as its hash (pbkdf2-sha256:...); run ./hangar hash-secret", name));
    }
  }

  public AuthConfig {
    principals = List.copyOf(principals);
    Checks.check(sessionLifetime != null && !sessionLifetime.isNegative() && !sessionLifetime.isZero(), "auth.sessionLifetime must be positive");
    Checks.check(maxSessions >= 1, "auth.maxSessions must be at least 1");
    Checks.check(maxCallsPerPrincipal >= 1, "auth.maxCallsPerPrincipal must be at least 1");
    Set<String> names = new HashSet<>();
    Set<String> tokens = new HashSet<>();
    Set<String> subjects = new HashSet<>();
    for (Principal p : principals) {
      Checks.check(!p.name().equals(ANONYMOUS), "principal name \"%s\" is reserved", ANONYMOUS);
      Checks.check(names.add(p.name()), "principal \"%s\" is defined twice", p.name());
      for (String t : p.tokenHashes()) {
        Checks.check(tokens.add(t), "principal \"%s\": the same token hash is given to another principal", p.name());
      }
      p.certificate().ifPresent(s -> Checks.check(subjects.add(s), "principal \"%s\": certificate subject \"%s\" is mapped twice", p.name(), s));
    }
  }

  /**
   * A certificate subject in a form that compares equal however it was written: its RDNs as RFC 2253
   * prints them, sorted. Tools disagree on order (OpenSSL prints {@code CN} last by default, Java first),
   * so the order does not matter here.
   *
   * @throws IllegalArgumentException if {@code subject} is not a distinguished name
   */
  public static String canonicalSubject(String subject) {
    String rfc2253 = new javax.security.auth.x500.X500Principal(subject).getName(javax.security.auth.x500.X500Principal.RFC2253);
    try {
      return new javax.naming.ldap.LdapName(rfc2253).getRdns().stream().map(Object::toString).sorted()
          .collect(java.util.stream.Collectors.joining(","));
    } catch (javax.naming.InvalidNameException e) {
      throw new IllegalArgumentException("not a distinguished name: " + subject, e);
    }
  }

  public boolean enabled() {
    return !principals.isEmpty();
  }

  public Optional<Principal> principal(String name) {
    return principals.stream().filter(p -> p.name().equals(name)).findFirst();
  }
}
