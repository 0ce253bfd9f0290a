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
      int kv = fb.tableAt(v, i);
      fb.string(kv, 0);
      fb.string(kv, 1);
    }
  }

  /** The length a message's flatbuffer is padded to so that, after its 8-byte prefix, bodies start 8-aligned. */
  static int paddedMetadataLength(int length) {
    return (length + 7) & ~7;
  }

  static long pad8(long n) {
    return (n + 7) & ~7L;
  }
}
