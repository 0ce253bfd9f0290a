package dev.hangar.tiers.ipc;

import java.util.List;

/**
 * One checked Arrow IPC message header: the flatbuffer bytes exactly as the client sent them, and
 * what Hangar needs to know about them. {@code rows} is a record batch's length (0 for others);
 * {@code dictionaryId} and {@code delta} are meaningful for dictionary batches only;
 * {@code bodyChecks} is null unless the body must be read before it is stored (see {@link BodyChecks}).
 */
public record MessageHeader(byte[] bytes, MessageKind kind, long bodyLength, long rows, long dictionaryId, boolean delta,
    BodyChecks bodyChecks) {

  /** This header as a tier keeps it: without the body checks, which were done before it was stored. */
  public MessageHeader stored() {
    return bodyChecks == null ? this : new MessageHeader(bytes, kind, bodyLength, rows, dictionaryId, delta, null);
  }

  /**
   * What the header check could not see because it lies in the body: that compressed buffers decompress
   * to the lengths they declare, and that the first and last offsets of variable-size columns lie inside
   * their data. Arrow's readers check both when they read a batch (pyarrow refuses the whole stream), so
   * Hangar checks them before it stores one.
   *
   * @param codec {@link #LZ4_FRAME}, {@link #ZSTD}, or {@link #NONE}
   * @param offsets each buffer's offset in the body
   * @param lengths each buffer's length in the body (compressed, if compressed)
   * @param needed the fewest uncompressed bytes each buffer's column needs (checked here when compressed)
   * @param ranges the offsets buffers to check
   * @param deep a dictionary batch's further checks ({@link DictionaryChecks}); empty for a record batch
   */
  public record BodyChecks(int codec, long[] offsets, long[] lengths, long[] needed, List<OffsetRange> ranges,
      List<DictionaryChecks.Check> deep) {
    public static final int NONE = -1;

    /** Checks for a record batch: no dictionary's. */
    public BodyChecks(int codec, long[] offsets, long[] lengths, long[] needed, List<OffsetRange> ranges) {
      this(codec, offsets, lengths, needed, ranges, List.of());
    }
    public static final int LZ4_FRAME = 0;
    public static final int ZSTD = 1;

    public boolean compressed() {
      return codec != NONE;
    }

    public String codecName() {
      return codec == LZ4_FRAME ? "lz4_frame" : "zstd";
    }
  }

  /**
   * An offsets buffer of {@code count + 1} values of {@code width} bytes, whose first and last values must
   * lie in [0, limit]: the limit is the length of buffer {@code limitBuffer} (a binary column's data), or
   * {@code limit} itself (a list's child length) when {@code limitBuffer} is -1.
   */
  public record OffsetRange(String column, int buffer, int width, long count, int limitBuffer, long limit) {}
}
