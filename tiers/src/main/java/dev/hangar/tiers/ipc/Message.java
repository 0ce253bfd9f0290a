package dev.hangar.tiers.ipc;

import org.apache.arrow.memory.ArrowBuf;

/**
 * One dictionary or record batch message of a flight: its checked header, the app_metadata that came
 * with it (null if none), and its body (null if empty). Whoever holds it closes it, which releases the
 * body.
 */
public record Message(MessageHeader header, byte[] appMetadata, Body body) implements AutoCloseable {
  public long bodyLength() {
    return header.bodyLength();
  }

  /** The body as an Arrow buffer, or null if empty; only for messages read from a stored copy. */
  public BufferBody bufferBody() {
    return (BufferBody) body;
  }

  /**
   * The body in an Arrow buffer that the caller owns: the stored buffer's reference if the body is one,
   * else a copy allocated from {@code allocator} (the body is released either way).
   */
  public ArrowBuf bodyBuffer(org.apache.arrow.memory.BufferAllocator allocator) {
    if (body instanceof BufferBody b) {
      return b.buffer();
    }
    try (Body b = body) {
      return copyOfBody(allocator);
    }
  }

  /**
   * The body in a buffer accounted to {@code allocator}, which the caller owns (the message keeps and
   * later releases its own reference). A body that is one whole allocation under the same root moves
   * over without copying: only its accounting changes hands. Anything else (a slice of a larger
   * buffer, bytes still in gRPC's buffers) is copied.
   */
  public ArrowBuf bodyFor(org.apache.arrow.memory.BufferAllocator allocator) {
    if (body instanceof BufferBody b && b.wholeAllocation() && sameRoot(b.buffer(), allocator)) {
      ArrowBuf moved = b.buffer().getReferenceManager().transferOwnership(b.buffer(), allocator).getTransferredBuffer();
      moved.writerIndex(b.length());
      return moved;
    }
    return copyOfBody(allocator);
  }

  private ArrowBuf copyOfBody(org.apache.arrow.memory.BufferAllocator allocator) {
    ArrowBuf copy = allocator.buffer(body.length());
    try {
      body.copyTo(copy, 0);
    } catch (RuntimeException | Error e) {
      copy.close();
      throw e;
    }
    copy.writerIndex(body.length());
    return copy;
  }

  private static boolean sameRoot(ArrowBuf buf, org.apache.arrow.memory.BufferAllocator allocator) {
    return buf.getReferenceManager().getAllocator().getRoot() == allocator.getRoot();
  }

  /** The bytes this message takes in the IPC stream format: prefix, padded header, body. */
  public long ipcBytes() {
    return 8 + Messages.paddedMetadataLength(header.bytes().length) + Messages.pad8(header.bodyLength());
  }

  @Override
  public void close() {
    if (body != null) {
      body.close();
    }
  }
}
