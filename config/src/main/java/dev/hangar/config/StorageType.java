package dev.hangar.config;

/** One physical resource of a node, shared by every storage class: there is one memory. */
public enum StorageType {
  MEMORY("memory"),
  DISK_MAPPED("disk_mapped"),
  DISK("disk");

  private final String key;

  StorageType(String key) {
    this.key = key;
  }

  /** The name used in YAML and in every report: {@code memory}, {@code disk_mapped}, {@code disk}. */
  public String key() {
    return key;
  }

  @Override
  public String toString() {
    return key;
  }
}
