package dev.hangar.tiers.ipc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.compression.CompressionUtil.CodecType;
import org.junit.jupiter.api.Test;

/** The codecs the SQL path decodes stored bodies with read what Arrow Java's codecs write. */
class CodecsTest {
  @Test
  void decompressesWhatArrowJavaCompresses() {
    Random random = new Random(5);
    try (var allocator = new RootAllocator()) {
      for (CodecType type : new CodecType[] {CodecType.LZ4_FRAME, CodecType.ZSTD}) {
        for (int length : new int[] {1, 1000, 300_000}) {
          StringBuilder text = new StringBuilder();
          while (text.length() < length) {
            text.append("value-").append(random.nextInt(5000)).append(';');
          }
          byte[] content = java.util.Arrays.copyOf(text.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII), length);
          ArrowBuf raw = allocator.buffer(length);
          raw.setBytes(0, content);
          raw.writerIndex(length);
          ArrowBuf compressed = CommonsCompressionFactory.INSTANCE.createCodec(type).compress(allocator, raw); // takes raw
          try (ArrowBuf decompressed = Codecs.INSTANCE.createCodec(type).decompress(allocator, compressed)) { // takes compressed
            byte[] back = new byte[(int) decompressed.writerIndex()];
            decompressed.getBytes(0, back);
            assertThat(back).as("%s, %d bytes", type, length).isEqualTo(content);
          }
        }
      }
    }
  }

  @Test
  void aStoredLz4BufferThatNoLongerDecodesIsAnErrorNotWrongData() {
    try (var allocator = new RootAllocator()) {
      ArrowBuf raw = allocator.buffer(100);
      raw.setZero(0, 100);
      raw.writerIndex(100);
      ArrowBuf compressed = CommonsCompressionFactory.INSTANCE.createCodec(CodecType.LZ4_FRAME).compress(allocator, raw);
      compressed.setLong(0, 101); // declares one byte more than the frame holds
      assertThatThrownBy(() -> Codecs.INSTANCE.createCodec(CodecType.LZ4_FRAME).decompress(allocator, compressed))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("Cannot decompress a stored LZ4 buffer: it does not decode to its declared 101 bytes");
      compressed.close();
    }
  }
}
