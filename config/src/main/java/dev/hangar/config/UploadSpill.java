package dev.hangar.config;

/** What an upload does when it outgrows its tier's {@code maxFlightSize}. */
public enum UploadSpill {
  /** Move what has arrived to the next tier and continue there. */
  SPILL,
  /** Fail the put with RESOURCE_EXHAUSTED. */
  REJECT;

  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public String toString() {
    return key();
  }
}
