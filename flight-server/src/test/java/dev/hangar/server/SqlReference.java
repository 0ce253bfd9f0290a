package dev.hangar.server;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;

/**
 * DuckDB on its own, in the test's JVM, holding the same tables as Hangar's flights (copied in
 * from the same Arrow data): the answer every SQL test compares Hangar's against.
 */
public final class SqlReference implements AutoCloseable {
  private final BufferAllocator allocator;
  private final DuckDBConnection connection;

  public SqlReference(BufferAllocator allocator) throws SQLException {
    this.allocator = allocator;
    this.connection = (DuckDBConnection) new org.duckdb.DuckDBDriver().connect("jdbc:duckdb:", new java.util.Properties());
  }

  /** Loads {@code data} as the table {@code name}. */
  public SqlReference table(String name, TestData.Batches data) throws SQLException {
    try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
      Data.exportArrayStream(allocator, new Reader(allocator, data), stream);
      connection.registerArrowStream("incoming", stream);
      try (Statement s = connection.createStatement()) {
        s.execute("CREATE OR REPLACE TABLE \"" + name + "\" AS SELECT * FROM incoming");
        s.execute("DROP VIEW incoming");
      }
    }
    return this;
  }

  /** The rows {@code sql} returns here, rendered as {@link #rows} renders Hangar's. */
  public List<String> query(String sql) throws SQLException, IOException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql);
        ArrowReader reader = (ArrowReader) ((DuckDBResultSet) rs).arrowExportStream(allocator, 4096)) {
      List<String> out = new ArrayList<>();
      while (reader.loadNextBatch()) {
        out.addAll(rows(reader.getVectorSchemaRoot()));
      }
      return sorted(out);
    }
  }

  public Schema schema(String sql) throws SQLException, IOException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql);
        ArrowReader reader = (ArrowReader) ((DuckDBResultSet) rs).arrowExportStream(allocator, 4096)) {
      return reader.getVectorSchemaRoot().getSchema();
    }
  }

  /** One line per row: each value's {@code getObject} text, tab-separated. */
  public static List<String> rows(VectorSchemaRoot root) {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < root.getRowCount(); r++) {
      StringBuilder line = new StringBuilder();
      for (FieldVector v : root.getFieldVectors()) {
        if (line.length() > 0) {
          line.append('\t');
        }
        line.append(v.getObject(r));
      }
      out.add(line.toString());
    }
    return out;
  }

  public static List<String> sorted(List<String> rows) {
    List<String> copy = new ArrayList<>(rows);
    Collections.sort(copy);
    return copy;
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }

  /** {@link TestData.Batches} as an Arrow stream. */
  static final class Reader extends ArrowReader {
    private final TestData.Batches data;
    private int next;

    Reader(BufferAllocator allocator, TestData.Batches data) {
      super(allocator);
      this.data = data;
    }

    @Override
    public boolean loadNextBatch() throws IOException {
      prepareLoadNextBatch();
      if (next >= data.count()) {
        return false;
      }
      data.fill(getVectorSchemaRoot(), next++);
      return true;
    }

    @Override
    public long bytesRead() {
      return 0;
    }

    @Override
    protected void closeReadSource() {}

    @Override
    protected Schema readSchema() {
      return data.schema();
    }
  }
}
