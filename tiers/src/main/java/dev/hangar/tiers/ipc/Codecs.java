package dev.hangar.tiers.ipc;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.compression.AbstractCompressionCodec;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;

/**
 * The codecs that decompress stored bodies where Hangar decodes data (SQL): LZ4 frames with {@link
 * Lz4Frame}, everything else with Arrow Java's own codecs. Arrow Java's LZ4 codec (commons-compress)
 * decodes a byte at a time, about 70 times slower than this one, and decodes linked blocks larger than
 * 64 KiB differently from liblz4, which wrote them; {@link Lz4Frame} decodes as liblz4 does, as the put
 * path checked.
 */
final class Codecs implements CompressionCodec.Factory {
  static final Codecs INSTANCE = new Codecs();

  private Codecs() {}

  @Override
  public CompressionCodec createCodec(CompressionUtil.CodecType type) {
    return type == CompressionUtil.CodecType.LZ4_FRAME ? new Lz4() : CommonsCompressionFactory.INSTANCE.createCodec(type);
  }

  @Override
  public CompressionCodec createCodec(CompressionUtil.CodecType type, int level) {
    return type == CompressionUtil.CodecType.LZ4_FRAME ? new Lz4() : CommonsCompressionFactory.INSTANCE.createCodec(type, level);
  }

  /** Decompresses with {@link Lz4Frame}. */
  private static final class Lz4 extends AbstractCompressionCodec {
    private final Lz4Frame frame = new Lz4Frame();

    @Override
    protected ArrowBuf doDecompress(BufferAllocator allocator, ArrowBuf compressed) {
      long declared = readUncompressedLength(compressed);
      long prefix = CompressionUtil.SIZE_OF_UNCOMPRESSED_LENGTH;
      ArrowBuf decompressed = allocator.buffer(declared);
      try {
        if (frame.decodeInto(compressed, prefix, compressed.writerIndex() - prefix, declared, decompressed) != declared) {
          // The put checked this buffer: reaching here means the stored copy changed.
          throw new IllegalStateException("Cannot decompress a stored LZ4 buffer: it does not decode to its declared " + declared + " bytes");
        }
      } catch (RuntimeException e) {
        decompressed.close();
        throw e;
      }
      decompressed.writerIndex(declared);
      return decompressed;
    }

    @Override
    protected ArrowBuf doCompress(BufferAllocator allocator, ArrowBuf uncompressed) {
      throw new UnsupportedOperationException("Hangar decodes stored bodies; it never compresses them");
    }

    @Override
    public CompressionUtil.CodecType getCodecType() {
      return CompressionUtil.CodecType.LZ4_FRAME;
    }
  }
}
