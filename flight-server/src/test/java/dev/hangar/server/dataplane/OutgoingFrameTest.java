package dev.hangar.server.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.tiers.ipc.BufferBody;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

class OutgoingFrameTest {
  /**
   * A large body goes to Netty by reference, in a buffer Netty writes to the socket as it is: direct
   * throughout. One heap part would make Netty copy the whole frame first.
   */
  @Test
  void aLargeBodyIsSentByReferenceFromDirectMemoryAndReleasedWithTheFrame() {
    try (BufferAllocator allocator = new RootAllocator()) {
      int length = 1 << 20;
      ArrowBuf buf = allocator.buffer(length);
      for (int i = 0; i < length; i++) {
        buf.setByte(i, i * 31);
      }
      byte[] prefix = {0x0a, 0x03, 1, 2, 3, 0x1a};
      ByteBuf frame = OutgoingFrame.zeroCopy(prefix, new BufferBody(buf, length));
      assertThat(frame.isDirect()).as("direct, so Netty writes it without a copy").isTrue();
      assertThat(frame.readableBytes()).isEqualTo(prefix.length + length);
      assertThat(ByteBufUtil.getBytes(frame, 0, prefix.length)).isEqualTo(prefix);
      byte[] body = ByteBufUtil.getBytes(frame, prefix.length, length);
      for (int i = 0; i < length; i += 4099) {
        assertThat(body[i]).isEqualTo((byte) (i * 31));
      }
      buf.setByte(0, 99); // by reference: the frame sees the stored bytes, not a copy of them
      assertThat(frame.getByte(prefix.length)).isEqualTo((byte) 99);
      assertThat(allocator.getAllocatedMemory()).isEqualTo(length);
      frame.release();
      assertThat(allocator.getAllocatedMemory()).as("the body's reference goes with the frame").isZero();
    }
  }
}
