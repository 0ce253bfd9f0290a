package dev.hangar.tiers.durable;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a durable flight file says about itself, in its Arrow footer's custom metadata (keys {@code
 * hangar.*}), so any Arrow reader sees it and a restart needs no separate catalog. {@code checksum}
 * is the CRC32C of every byte of the file before the footer.
 */
public record DurableMetadata(
    String path,
    long rows,
    long bodyBytes,
    int batches,
    Instant committedAt,
    Optional<Duration> ttl,
    Optional<Instant> expiresAt,
    String checksum,
    Optional<String> idempotencyKey) {
  public static final String FORMAT = "2"; // 2: the messages as sent, schema message and app_metadata in the footer

  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("hangar.format", FORMAT);
    m.put("hangar.path", path);
    m.put("hangar.rows", Long.toString(rows));
    m.put("hangar.body_bytes", Long.toString(bodyBytes));
    m.put("hangar.batches", Integer.toString(batches));
    m.put("hangar.committed", committedAt.toString());
    ttl.ifPresent(t -> m.put("hangar.ttl", t.toString()));
    expiresAt.ifPresent(e -> m.put("hangar.expires", e.toString()));
    m.put("hangar.checksum", checksum);
    idempotencyKey.ifPresent(k -> m.put("hangar.idempotency_key", k));
    return m;
  }

  /** Parses the footer metadata of a durable flight file; throws if it is not one Hangar wrote. */
  public static DurableMetadata fromMap(Map<String, String> m) {
    if (m == null || !FORMAT.equals(m.get("hangar.format"))) {
      throw new IllegalArgumentException("not a Hangar flight file (format " + (m == null ? null : m.get("hangar.format")) + ")");
    }
    try {
      return new DurableMetadata(
          require(m, "hangar.path"),
          Long.parseLong(require(m, "hangar.rows")),
          Long.parseLong(require(m, "hangar.body_bytes")),
          Integer.parseInt(require(m, "hangar.batches")),
          Instant.parse(require(m, "hangar.committed")),
          Optional.ofNullable(m.get("hangar.ttl")).map(Duration::parse),
          Optional.ofNullable(m.get("hangar.expires")).map(Instant::parse),
          require(m, "hangar.checksum"),
          Optional.ofNullable(m.get("hangar.idempotency_key")));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("bad Hangar flight metadata: " + e.getMessage(), e);
    }
  }

  private static String require(Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException(key + " is missing");
    }
    return v;
  }

  public boolean isExpired(Instant now) {
    return expiresAt.isPresent() && !now.isBefore(expiresAt.get());
  }
}
