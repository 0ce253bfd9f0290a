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

  /**
   * Frames are built in one array of exactly their size: for fields of every size (varints of one to
   * three bytes, absent fields, an empty body), the bytes are those protobuf's own encoder writes.
   */
  @Test
  void framesAreTheBytesProtobufWritesWithNothingToSpare() {
    java.util.Random random = new java.util.Random(7);
    try (BufferAllocator allocator = new RootAllocator()) {
      for (int round = 0; round < 300; round++) {
        byte[] descriptor = random.nextInt(3) == 0 ? null : bytes(random, random.nextInt(200));
        byte[] header = random.nextInt(5) == 0 ? null : bytes(random, random.nextInt(20_000));
        byte[] appMetadata = random.nextInt(2) == 0 ? null : bytes(random, random.nextInt(300));
        int length = random.nextInt(4) == 0 ? -1 : random.nextInt(70_000);
        org.apache.arrow.flight.impl.Flight.FlightData.Builder want = org.apache.arrow.flight.impl.Flight.FlightData.newBuilder();
        if (descriptor != null) {
          want.setFlightDescriptor(org.apache.arrow.flight.impl.Flight.FlightDescriptor.newBuilder()
              .setType(org.apache.arrow.flight.impl.Flight.FlightDescriptor.DescriptorType.CMD)
              .setCmd(com.google.protobuf.ByteString.copyFrom(descriptor)));
          descriptor = want.getFlightDescriptor().toByteArray();
        }
        if (header != null) {
          want.setDataHeader(com.google.protobuf.ByteString.copyFrom(header));
        }
        if (appMetadata != null) {
          want.setAppMetadata(com.google.protobuf.ByteString.copyFrom(appMetadata));
        }
        BufferBody body = null;
        if (length >= 0) {
          byte[] data = bytes(random, length);
          ArrowBuf buf = allocator.buffer(Math.max(1, length));
          buf.setBytes(0, data);
          body = new BufferBody(buf, length);
          want.setDataBody(com.google.protobuf.ByteString.copyFrom(data));
        }
        byte[] encoded = FlightDataFrame.encode(descriptor, header, appMetadata, body);
        // protobuf leaves out an empty bytes field; Hangar writes the fields it is given
        byte[] expected = want.build().toByteArray();
        if (length == 0 || header != null && header.length == 0 || appMetadata != null && appMetadata.length == 0) {
          assertThat(parse(encoded)).isEqualTo(want.build());
        } else {
          assertThat(encoded).as("round %d", round).isEqualTo(expected);
        }
        if (body != null) {
          byte[] prefix = FlightDataFrame.encode(descriptor, header, appMetadata, body, false);
          assertThat(prefix).isEqualTo(java.util.Arrays.copyOf(encoded, encoded.length - length));
          body.close();
        }
      }
      assertThat(allocator.getAllocatedMemory()).isZero();
    }
  }

  private static byte[] bytes(java.util.Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static org.apache.arrow.flight.impl.Flight.FlightData parse(byte[] bytes) {
    try {
      return org.apache.arrow.flight.impl.Flight.FlightData.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
