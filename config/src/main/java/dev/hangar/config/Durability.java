package dev.hangar.config;

/** What a storage class promises about a flight once its put is acknowledged. */
public enum Durability {
  /** Only in the node's tiers: lost on eviction, crash or restart. */
  NONE,
  /** Acknowledged once in a tier; the durable copy is written in the background. */
  WEAK,
  /** Acknowledged only after the durable copy is complete. */
  STRONG;

  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public String toString() {
    return key();
  }
}
