package dev.hangar.tiers.ipc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BodyCheckerTest {
  private static byte[] lz4Frame(byte[] content) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (var lz4 = new org.apache.commons.compress.compressors.lz4.FramedLZ4CompressorOutputStream(out)) {
      lz4.write(content);
    }
    return out.toByteArray();
  }

  /** Checks a body of one LZ4-compressed buffer that declares {@code declared} bytes and holds {@code compressed}. */
  private static void checkLz4(long declared, byte[] compressed) {
    try (var allocator = new org.apache.arrow.memory.RootAllocator();
        var body = allocator.buffer(8 + compressed.length)) {
      body.setLong(0, declared);
      body.setBytes(8, compressed);
      var checks = new MessageHeader.BodyChecks(MessageHeader.BodyChecks.LZ4_FRAME, new long[] {0}, new long[] {8 + compressed.length},
          new long[] {0}, java.util.List.of());
      BodyChecker.check(checks, body, 1);
    }
  }

  /**
   * Found by MessageFuzzIT (seed 7): a scrambled buffer length took in the start of the next buffer, so
   * the buffer held one whole LZ4 frame and more. Arrow C++ refuses that ("more than one frame"); the
   * LZ4 stream stopped at the frame's end and Hangar accepted a batch pyarrow could not read.
   */
  @Test
  void anLz4BufferHoldsExactlyOneFrame() throws Exception {
    byte[] content = "hello, hangar ".repeat(10).getBytes(StandardCharsets.UTF_8);
    byte[] frame = lz4Frame(content);
    checkLz4(content.length, frame);

    byte[] twoFrames = java.util.Arrays.copyOf(frame, 2 * frame.length);
    System.arraycopy(frame, 0, twoFrames, frame.length, frame.length);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkLz4(content.length, twoFrames))
        .isInstanceOf(InvalidMessageException.class).hasMessage("message 1: compressed buffer 0 is not valid lz4_frame data");
    byte[] trailing = java.util.Arrays.copyOf(frame, frame.length + 1);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkLz4(content.length, trailing))
        .isInstanceOf(InvalidMessageException.class).hasMessage("message 1: compressed buffer 0 is not valid lz4_frame data");
  }

  /**
   * An LZ4 frame (linked blocks, as pyarrow writes them) of one block of two sequences: one literal "a" and a match of 4 bytes at {@code offset},
   * then the literals "bcdef".
   */
  private static byte[] frameWithMatchAt(int offset) {
    byte[] header = {0x40, 0x40}; // FLG: version 1, linked blocks (as pyarrow writes); BD: 64 KiB blocks
    var hash = new org.apache.commons.compress.compressors.lz4.XXHash32();
    hash.update(header, 0, 2);
    byte checksum = (byte) (hash.getValue() >>> 8);
    byte[] block = {0x10, 'a', (byte) offset, 0, 0x50, 'b', 'c', 'd', 'e', 'f'};
    ByteBuffer out = ByteBuffer.allocate(4 + 3 + 4 + block.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    out.putInt(0x184D2204).put(header).put(checksum).putInt(block.length).put(block).putInt(0);
    return out.array();
  }

  /**
   * Found by MessageFuzzIT (seed 61836364357250, 40,000 puts): a flipped byte made an LZ4 match refer
   * to 264 bytes back when 65 had been decoded. Java's decoder produced the declared length anyway;
   * liblz4, which pyarrow reads with, refuses the block ("LZ4 decompress failed").
   */
  @Test
  void anLz4MatchMayOnlyReferToBytesAlreadyDecoded() {
    checkLz4(10, frameWithMatchAt(1)); // "a" + "aaaa" + "bcdef"
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkLz4(10, frameWithMatchAt(2)))
        .isInstanceOf(InvalidMessageException.class).hasMessage("message 1: compressed buffer 0 is not valid lz4_frame data");
  }

  /** A buffer of a compressed body left uncompressed: the length -1, then {@code content}. */
  private static byte[] asIs(byte[] content) {
    return ByteBuffer.allocate(8 + content.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(-1).put(content).array();
  }

  /** One compressed buffer: its 8-byte uncompressed length, then {@code content} compressed with {@code codec}. */
  private static byte[] compressed(int codec, byte[] content, long declared) throws java.io.IOException {
    byte[] data = codec == MessageHeader.BodyChecks.LZ4_FRAME ? lz4Frame(content) : com.github.luben.zstd.Zstd.compress(content);
    return ByteBuffer.allocate(8 + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(declared).put(data).array();
  }

  /**
   * Checks a body (compressed with {@code codec}, or not) of a string column "s" of {@code offsets.length - 1}
   * values: buffer 0 its offsets, buffer 1 its data ({@code dictionary}: a string dictionary's, checked in full as
   * {@link DictionaryChecks} does).
   */
  private static void checkStrings(int codec, int[] offsets, byte[] data, boolean dictionary) throws java.io.IOException {
    checkStrings(codec, false, offsets, data, dictionary);
  }

  /**
   * As above; {@code leftUncompressed}: in a compressed body, both buffers are written as they are after
   * the length -1 (what Arrow Java, Rust and C++ with {@code min_space_savings} write for a buffer that
   * compression would not shrink).
   */
  private static void checkStrings(int codec, boolean leftUncompressed, int[] offsets, byte[] data, boolean dictionary) throws java.io.IOException {
    ByteBuffer raw = ByteBuffer.allocate(4 * offsets.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int o : offsets) {
      raw.putInt(o);
    }
    boolean none = codec == MessageHeader.BodyChecks.NONE;
    byte[] first = none ? raw.array() : leftUncompressed ? asIs(raw.array()) : compressed(codec, raw.array(), raw.capacity());
    byte[] second = none ? data : leftUncompressed ? asIs(data) : compressed(codec, data, data.length);
    try (var allocator = new org.apache.arrow.memory.RootAllocator();
        var body = allocator.buffer(first.length + second.length)) {
      body.setBytes(0, first);
      body.setBytes(first.length, second);
      var checks = new MessageHeader.BodyChecks(codec, new long[] {0, first.length}, new long[] {first.length, second.length},
          none ? null : new long[] {4L * offsets.length, 0}, java.util.List.of(new MessageHeader.OffsetRange("s", 0, 4, offsets.length - 1, 1, 0)),
          dictionary ? java.util.List.of(DictionaryChecks.offsets("s", 0, 4, offsets.length - 1, 1, 0, true)) : java.util.List.of());
      BodyChecker.check(checks, body, 3);
    }
  }

  /**
   * Offsets are checked against the length of their data (decoded, for both codecs), and a string
   * dictionary's strings for UTF-8.
   */
  @Test
  void offsetsAreCheckedAgainstTheirDataCompressedOrNot() throws Exception {
    byte[] data = "abcdefgh".getBytes(StandardCharsets.UTF_8);
    for (int codec : new int[] {MessageHeader.BodyChecks.NONE, MessageHeader.BodyChecks.LZ4_FRAME, MessageHeader.BodyChecks.ZSTD}) {
      checkStrings(codec, new int[] {0, 3, 8}, data, true);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkStrings(codec, new int[] {0, 3, 9}, data, false))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage("message 3: column \"s\" has offsets from 0 to 9, outside its 8 bytes of data");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkStrings(codec, new int[] {0, 5, 3}, data, true))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage("message 3: dictionary column \"s\" has an offset 3 at value 1 after 5 (offsets must grow, up to 8)");
      byte[] notUtf8 = data.clone();
      notUtf8[4] = (byte) 0xff;
      checkStrings(codec, new int[] {0, 3, 8}, notUtf8, false); // a plain string column's values are left to its readers
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkStrings(codec, new int[] {0, 3, 8}, notUtf8, true))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage("message 3: dictionary column \"s\" has a value that is not UTF-8 at index 1");
    }
  }

  /**
   * A compressed offsets buffer is decoded once and kept for its check, so its declared length sizes an
   * array: one declaring far more than its column needs is decoded (and refused) before anything that
   * large is allocated.
   */
  /** A buffer left uncompressed in a compressed body is checked as it is, with the same messages. */
  @Test
  void buffersLeftUncompressedAreCheckedAsTheyAre() throws Exception {
    byte[] data = "abcdefgh".getBytes(StandardCharsets.UTF_8);
    for (int codec : new int[] {MessageHeader.BodyChecks.LZ4_FRAME, MessageHeader.BodyChecks.ZSTD}) {
      checkStrings(codec, true, new int[] {0, 3, 8}, data, true);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkStrings(codec, true, new int[] {0, 3, 9}, data, false))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage("message 3: column \"s\" has offsets from 0 to 9, outside its 8 bytes of data");
      byte[] notUtf8 = data.clone();
      notUtf8[4] = (byte) 0xff;
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkStrings(codec, true, new int[] {0, 3, 8}, notUtf8, true))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage("message 3: dictionary column \"s\" has a value that is not UTF-8 at index 1");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> checkStrings(codec, true, new int[] {0, 3, 8}, "abc".getBytes(StandardCharsets.UTF_8), false))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessage("message 3: column \"s\" has offsets from 0 to 8, outside its 3 bytes of data");
    }
  }

  @Test
  void aDeclaredLengthFarPastTheColumnsNeedIsRefusedBeforeItIsAllocated() throws Exception {
    var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    byte[] offsets = ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(1).putInt(2).array();
    for (int codec : new int[] {MessageHeader.BodyChecks.LZ4_FRAME, MessageHeader.BodyChecks.ZSTD}) {
      byte[] buffer = compressed(codec, offsets, 1L << 30); // 1 GiB declared, 12 bytes held
      try (var allocator = new org.apache.arrow.memory.RootAllocator();
          var body = allocator.buffer(buffer.length)) {
        body.setBytes(0, buffer);
        var checks = new MessageHeader.BodyChecks(codec, new long[] {0}, new long[] {buffer.length}, new long[] {12},
            java.util.List.of(new MessageHeader.OffsetRange("l", 0, 4, 2, -1, 2)));
        long before = threads.getCurrentThreadAllocatedBytes();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> BodyChecker.check(checks, body, 2))
            .isInstanceOf(InvalidMessageException.class)
            .hasMessage("message 2: compressed buffer 0 declares 1073741824 uncompressed bytes but decompresses to 12");
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes allocated by the check").isLessThan(16 << 20);
      }
    }
  }

  /** The hand-written UTF-8 check agrees with the JDK's strict decoder, on random and on near-valid bytes. */
  @Test
  void utf8CheckAgreesWithTheJdkDecoder() {
    Random random = new Random(42);
    String sample = "aé€😀\u07ff\uffff";
    byte[] valid = sample.getBytes(StandardCharsets.UTF_8);
    for (int round = 0; round < 200_000; round++) {
      byte[] bytes;
      if (round % 2 == 0) {
        bytes = new byte[random.nextInt(8)];
        random.nextBytes(bytes);
      } else {
        bytes = valid.clone();
        bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
      }
      int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
      assertThat(BodyChecker.utf8(ByteBuffer.wrap(bytes), from, bytes.length)).as("%s from %d", java.util.HexFormat.of().formatHex(bytes), from)
          .isEqualTo(jdk(bytes, from));
    }
    assertThat(BodyChecker.utf8(ByteBuffer.wrap(valid), 0, valid.length)).isTrue();
  }

  private static boolean jdk(byte[] bytes, int from) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, from, bytes.length - from));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
