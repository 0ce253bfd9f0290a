package dev.hangar.server;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.impl.UnionListWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Deterministic test tables: every value is a function of (seed, batch, row), with some nulls. */
public final class TestData {
  public static final Schema WIDE =
      new Schema(
          List.of(
              Field.nullable("id", new ArrowType.Int(64, true)),
              Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
              Field.nullable("region", ArrowType.Utf8.INSTANCE),
              Field.nullable("at", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Europe/Paris")),
              Field.nullable("price", new ArrowType.Decimal(12, 2, 128)),
              new Field("tags", FieldType.nullable(ArrowType.List.INSTANCE), List.of(Field.nullable("item", new ArrowType.Int(64, true))))));

  public static final Schema NARROW = new Schema(List.of(Field.nullable("v", new ArrowType.Int(64, true))));

  private TestData() {}

  /** {@code count} batches of {@code rows} rows; {@code seed} makes different flights differ. */
  public record Batches(Schema schema, int count, int rows, long seed) {
    public void fill(VectorSchemaRoot root, int batch) {
      if (schema == NARROW) {
        BigIntVector v = (BigIntVector) root.getVector(0);
        v.allocateNew(rows);
        for (int r = 0; r < rows; r++) {
          v.set(r, seed);
        }
        root.setRowCount(rows);
        return;
      }
      BigIntVector id = (BigIntVector) root.getVector("id");
      Float8Vector amount = (Float8Vector) root.getVector("amount");
      VarCharVector region = (VarCharVector) root.getVector("region");
      TimeStampMicroTZVector at = (TimeStampMicroTZVector) root.getVector("at");
      DecimalVector price = (DecimalVector) root.getVector("price");
      ListVector tags = (ListVector) root.getVector("tags");
      root.allocateNew();
      UnionListWriter writer = tags.getWriter();
      for (int r = 0; r < rows; r++) {
        long n = seed * 1_000_000 + (long) batch * rows + r;
        id.setSafe(r, n);
        if (r % 7 == 3) {
          amount.setNull(r);
          region.setNull(r);
          price.setNull(r);
        } else {
          amount.setSafe(r, n * 0.25);
          region.setSafe(r, ("region-" + (n % 13)).getBytes(StandardCharsets.UTF_8));
          price.setSafe(r, BigDecimal.valueOf(n % 100_000, 2));
        }
        at.setSafe(r, 1_700_000_000_000_000L + n);
        writer.setPosition(r);
        if (r % 5 == 0) {
          tags.setNull(r);
        } else {
          writer.startList();
          for (int k = 0; k < r % 3; k++) {
            writer.bigInt().writeBigInt(n + k);
          }
          writer.endList();
        }
      }
      root.setRowCount(rows);
    }

    /** The TSV of each batch, as {@link Hangar#get} returns it. */
    List<String> expected(org.apache.arrow.memory.BufferAllocator allocator) {
      List<String> out = new java.util.ArrayList<>();
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
        for (int i = 0; i < count; i++) {
          fill(root, i);
          out.add(root.contentToTSVString());
        }
      }
      return out;
    }
  }

  public static Batches wide(int count, int rows, long seed) {
    return new Batches(WIDE, count, rows, seed);
  }

  public static Batches narrow(int count, int rows, long seed) {
    return new Batches(NARROW, count, rows, seed);
  }

  /** Puts {@code data} at {@code path} with a real Flight client and waits for the PutResult (freed here). */
  public static void put(org.apache.arrow.flight.FlightClient client, org.apache.arrow.memory.BufferAllocator allocator, String path,
      Batches data, org.apache.arrow.flight.CallOption... options) throws Exception {
    try (org.apache.arrow.vector.VectorSchemaRoot root = org.apache.arrow.vector.VectorSchemaRoot.create(data.schema(), allocator);
        org.apache.arrow.flight.SyncPutListener results = new org.apache.arrow.flight.SyncPutListener()) {
      org.apache.arrow.flight.FlightClient.ClientStreamListener put =
          client.startPut(org.apache.arrow.flight.FlightDescriptor.path(path), root, results, options);
      for (int i = 0; i < data.count(); i++) {
        data.fill(root, i);
        put.putNext();
      }
      put.completed();
      put.getResult();
      results.read().close();
    }
  }
}
