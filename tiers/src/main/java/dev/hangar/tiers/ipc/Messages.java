package dev.hangar.tiers.ipc;

/** Constants and small checks of the Arrow IPC message format shared by this package. */
final class Messages {
  /** The marker before each encapsulated message. */
  static final int CONTINUATION = 0xFFFFFFFF;
  static final int HEADER_SCHEMA = 1;
  static final int HEADER_DICTIONARY_BATCH = 2;
  static final int HEADER_RECORD_BATCH = 3;
  /** {@code MetadataVersion.V5}: Arrow 1.0 and later. */
  static final int METADATA_V5 = 4;

  private Messages() {}

  static String headerName(int type) {
    return switch (type) {
      case 0 -> "message with no header";
      case HEADER_SCHEMA -> "schema";
      case HEADER_DICTIONARY_BATCH -> "dictionary batch";
      case HEADER_RECORD_BATCH -> "record batch";
      case 4 -> "tensor";
      case 5 -> "sparse tensor";
      default -> "message of unknown type " + type;
    };
  }

  static void checkVersion(CheckedFlatBuffer fb, int message) {
    int version = fb.i16(message, 0, 0);
    if (version != METADATA_V5) {
      throw fb.bad("metadata version V%d is not supported (Hangar stores Arrow IPC metadata version V5, written by Arrow 1.0 and later)",
          version + 1);
    }
  }

  /** Checks the {@code [KeyValue]} vector in field {@code index} of {@code table}, if present. */
  static void checkKeyValues(CheckedFlatBuffer fb, int table, int index) {
    int v = fb.vector(table, index, 4, 4);
    for (int i = 0, n = fb.vectorLength(v); i < n; i++) {
      keyValue(fb, fb.tableAt(v, i));
    }
  }

  /**
   * Checks the {@code [KeyValue]} vector in field {@code index} of a Field table, and returns its
   * extension name and metadata ("" if absent), or null if it names no extension type.
   */
  static String[] extension(CheckedFlatBuffer fb, int field, int index) {
    String name = null;
    String metadata = "";
    int v = fb.vector(field, index, 4, 4);
    for (int i = 0, n = fb.vectorLength(v); i < n; i++) {
      String[] kv = keyValue(fb, fb.tableAt(v, i));
      String key = kv[0];
      String value = kv[1];
      if (CanonicalExtensions.NAME_KEY.equals(key)) {
        name = value;
      } else if (CanonicalExtensions.METADATA_KEY.equals(key)) {
        metadata = value;
      }
    }
    return name == null ? null : new String[] {name, metadata};
  }

  /** A custom_metadata pair: Arrow C++ refuses a stream in which either half is missing. */
  private static String[] keyValue(CheckedFlatBuffer fb, int kv) {
    String key = fb.metadataString(kv, 0);
    String value = fb.metadataString(kv, 1);
    if (key == null || value == null) {
      throw fb.bad("a custom_metadata entry has no %s", key == null ? "key" : "value");
    }
    return new String[] {key, value};
  }

  /** The length a message's flatbuffer is padded to so that, after its 8-byte prefix, bodies start 8-aligned. */
  static int paddedMetadataLength(int length) {
    return (length + 7) & ~7;
  }

  static long pad8(long n) {
    return (n + 7) & ~7L;
  }
}
