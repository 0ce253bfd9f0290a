package dev.hangar.tiers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowFooter;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/** The framing of the Arrow IPC file format, shared by the disk tiers and the durable stores. */
public final class ArrowFiles {
  /** The magic that opens and closes an Arrow IPC file. */
  public static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);

  private ArrowFiles() {}

  /** Writes the leading magic (padded to 8 bytes) and the schema message. */
  public static void writeStart(WriteChannel out, Schema schema) throws IOException {
    out.write(MAGIC);
    out.align();
    MessageSerializer.serialize(out, schema);
  }

  /** Writes the footer, its length and the trailing magic. */
  public static void writeEnd(WriteChannel out, ArrowFooter footer) throws IOException {
    long footerStart = out.getCurrentPosition();
    out.write(footer, false);
    out.writeIntLittleEndian((int) (out.getCurrentPosition() - footerStart));
    out.write(MAGIC);
  }
}
