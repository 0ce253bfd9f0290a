package dev.hangar.examples;

import java.util.Map;
import org.apache.arrow.adbc.core.AdbcConnection;
import org.apache.arrow.adbc.core.AdbcDatabase;
import org.apache.arrow.adbc.core.AdbcDriver;
import org.apache.arrow.adbc.core.AdbcStatement;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlDriver;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * SQL over Hangar's flights from Java with ADBC (Arrow Database Connectivity): the result arrives
 * as Arrow batches, never converted row by row. Lists the flights as tables, runs a GROUP BY and a
 * prepared statement with a bound parameter. Run against a live node that holds a flight with
 * {@code region} and {@code amount} columns (the Java tour's or the README's):
 * {@code client-examples/run-adbc.sh [grpc://127.0.0.1:8815] [cache/tenant1/sales]}.
 */
public final class AdbcTour {
  private AdbcTour() {}

  public static void main(String[] args) throws Exception {
    String url = args.length > 0 ? args[0] : "grpc://127.0.0.1:8815";
    String path = args.length > 1 ? args[1] : "cache/tenant1/sales";
    try (BufferAllocator allocator = new RootAllocator();
        AdbcDatabase db = new FlightSqlDriver(allocator).open(Map.of(AdbcDriver.PARAM_URI.getKey(), url));
        AdbcConnection conn = db.connect()) {
      // every flight is a table of catalog "memory", schema "main"; depth ALL adds their columns
      try (ArrowReader tables = conn.getObjects(AdbcConnection.GetObjectsDepth.ALL, null, null, path, null, null)) {
        while (tables.loadNextBatch()) {
          System.out.print("objects:\n" + tables.getVectorSchemaRoot().contentToTSVString());
        }
      }

      try (AdbcStatement stmt = conn.createStatement()) {
        stmt.setSqlQuery("SELECT region, sum(amount) AS total, count(*) AS n FROM \"" + path + "\" GROUP BY region ORDER BY region");
        print(stmt.executeQuery());
      }

      Schema parameters = new Schema(java.util.List.of(
          Field.nullable("min_amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
      try (AdbcStatement stmt = conn.createStatement();
          VectorSchemaRoot bind = VectorSchemaRoot.create(parameters, allocator)) {
        stmt.setSqlQuery("SELECT region, amount FROM \"" + path + "\" WHERE amount > ? ORDER BY amount");
        stmt.prepare();
        ((Float8Vector) bind.getVector(0)).setSafe(0, 10.0);
        bind.setRowCount(1);
        stmt.bind(bind);
        print(stmt.executeQuery());
      }
    }
  }

  private static void print(AdbcStatement.QueryResult result) throws Exception {
    try (result; ArrowReader reader = result.getReader()) {
      while (reader.loadNextBatch()) {
        System.out.print(reader.getVectorSchemaRoot().contentToTSVString());
      }
    }
  }
}
