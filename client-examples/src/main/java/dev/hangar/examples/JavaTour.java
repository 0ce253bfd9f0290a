package dev.hangar.examples;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The README's tour with the Arrow Java Flight client: put a table, list, read, stats, delete.
 * Run against a live node: {@code client-examples/run-java-tour.sh [grpc://127.0.0.1:8815]}.
 */
public final class JavaTour {
  private JavaTour() {}

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "grpc://127.0.0.1:8815";
    Schema schema = new Schema(java.util.List.of(
        Field.nullable("region", ArrowType.Utf8.INSTANCE),
        Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
    try (BufferAllocator allocator = new RootAllocator();
        FlightClient client = FlightClient.builder(allocator, new Location(url)).build()) {

      // 1. Put a table at a flight path; the PutResult metadata is JSON.
      try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
          SyncPutListener results = new SyncPutListener()) {
        VarCharVector region = (VarCharVector) root.getVector("region");
        Float8Vector amount = (Float8Vector) root.getVector("amount");
        String[] regions = {"eu", "us", "eu", "apac"};
        double[] amounts = {120.5, 80.0, 42.25, 99.9};
        root.allocateNew();
        for (int i = 0; i < regions.length; i++) {
          region.setSafe(i, regions[i].getBytes(StandardCharsets.UTF_8));
          amount.set(i, amounts[i]);
        }
        root.setRowCount(regions.length);
        FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path("cache", "tenant1", "sales"), root, results);
        put.putNext();
        put.completed();
        put.getResult();
        try (PutResult result = results.read()) {
          System.out.println("put: " + text(result.getApplicationMetadata()));
        }
      }

      // 2. List the flights under a prefix.
      for (FlightInfo info : client.listFlights(new org.apache.arrow.flight.Criteria("cache/".getBytes(StandardCharsets.UTF_8)))) {
        System.out.println("listed: " + info.getDescriptor().getPath() + ", " + info.getRecords() + " rows");
      }

      // 3. Read it back: the ticket is the UTF-8 path.
      try (FlightStream stream = client.getStream(new Ticket("cache/tenant1/sales".getBytes(StandardCharsets.UTF_8)))) {
        while (stream.next()) {
          System.out.print("read:\n" + stream.getRoot().contentToTSVString());
        }
      }

      // 4. Stats and 5. delete: actions answer JSON.
      System.out.println("stats: " + action(client, "stats", ""));
      System.out.println("delete: " + action(client, "delete", "cache/tenant1/sales"));
    }
  }

  private static String action(FlightClient client, String type, String body) {
    Iterator<Result> results = client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)));
    return new String(results.next().getBody(), StandardCharsets.UTF_8);
  }

  private static String text(ArrowBuf buf) {
    byte[] bytes = new byte[(int) buf.readableBytes()];
    buf.getBytes(0, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
