package dev.hangar.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.pojo.Schema;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBResultSet;

/**
 * Files in and out, by their names: Parquet, CSV/TSV and JSON (lines) through an in-process DuckDB;
 * Arrow IPC and Feather (v2, the IPC file format) through Arrow Java.
 */
final class FileFormats {
  static final String KNOWN = ".parquet, .csv, .tsv, .json, .jsonl, .ndjson, .arrow, .arrows, .feather or .ipc";

  private FileFormats() {}

  /** A file that cannot be read or written as its name says; the message says what to do. */
  static final class FileException extends Exception {
    private static final long serialVersionUID = 1L;

    FileException(String message) {
      super(message);
    }
  }

  /** Batches read from a file, and what they hold: close it to free everything. */
  interface Source extends AutoCloseable {
    ArrowReader reader();

    /** Rows in the file if known without reading it all, else -1. */
    long rows();

    @Override
    void close() throws Exception;
  }

  /** A reader, its row count if known, and what closes it and what it reads from. */
  private record Opened(ArrowReader reader, long rows, AutoCloseable closer) implements Source {
    @Override
    public void close() throws Exception {
      closer.close();
    }
  }

  static String extension(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot);
  }

  /** Opens {@code file} for reading as batches of about {@code batchRows} rows. */
  static Source open(Path file, BufferAllocator allocator, int batchRows) throws FileException {
    if (!Files.isRegularFile(file)) {
      throw new FileException(file + " does not exist or is not a file");
    }
    String ext = extension(file);
    switch (ext) {
      case ".arrow", ".feather", ".ipc", ".arrows" -> {
        return arrow(file, allocator);
      }
      case ".parquet", ".csv", ".tsv", ".json", ".jsonl", ".ndjson" -> {
        return duckdb(file, ext, allocator, batchRows);
      }
      default -> throw new FileException("cannot tell the format of " + file + " from its name: use " + KNOWN);
    }
  }

  private static Source arrow(Path file, BufferAllocator allocator) throws FileException {
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
      boolean fileFormat = isArrowFile(file);
      ArrowReader reader = fileFormat ? new ArrowFileReader(channel, allocator) : new ArrowStreamReader(channel, allocator);
      reader.getVectorSchemaRoot(); // reads the schema now, so that a file that is not Arrow fails here
      long total = -1; // an IPC footer lists the batches, not their rows: progress counts rows as they go
      return new Opened(reader, total, reader);
    } catch (IOException | RuntimeException e) {
      throw new FileException(file + " is not an Arrow IPC file or stream (" + firstLine(e) + ")");
    }
  }

  private static boolean isArrowFile(Path file) throws IOException {
    byte[] magic = new byte[6];
    try (var in = Files.newInputStream(file)) {
      return in.read(magic) == 6 && new String(magic, java.nio.charset.StandardCharsets.US_ASCII).equals("ARROW1");
    }
  }

  private static Source duckdb(Path file, String ext, BufferAllocator allocator, int batchRows) throws FileException {
    String function = switch (ext) {
      case ".parquet" -> "read_parquet";
      case ".csv", ".tsv" -> "read_csv";
      default -> "read_json";
    };
    String table = function + "(" + literal(file.toAbsolutePath().toString()) + ")";
    Connection conn = null;
    try {
      conn = DriverManager.getConnection("jdbc:duckdb:");
      long rows = -1;
      if (ext.equals(".parquet")) { // from the footer: no scan
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          rows = rs.getLong(1);
        }
      }
      Statement statement = conn.createStatement();
      ResultSet rs = statement.executeQuery("SELECT * FROM " + table);
      ArrowReader reader = (ArrowReader) ((DuckDBResultSet) rs).arrowExportStream(allocator, batchRows);
      Connection owned = conn;
      long total = rows;
      return new Opened(reader, total, () -> {
        try (owned; statement; rs) {
          reader.close();
        }
      });
    } catch (SQLException | RuntimeException e) {
      try {
        if (conn != null) {
          conn.close();
        }
      } catch (SQLException ignored) {
        // the error below says what went wrong
      }
      String kind = switch (ext) {
        case ".parquet" -> "a Parquet file";
        case ".csv", ".tsv" -> "a CSV file DuckDB can read";
        default -> "a JSON file DuckDB can read";
      };
      throw new FileException(file + " is not " + kind + ": " + firstLine(e));
    }
  }

  /**
   * Writes what {@code source} yields to {@code file}, in the format its name says. Returns rows
   * written. {@code each} is called with the rows of every batch (progress).
   */
  static long write(Path file, BatchSource source, BufferAllocator allocator, java.util.function.LongConsumer each) throws Exception {
    String ext = extension(file);
    switch (ext) {
      case ".arrow", ".feather", ".ipc" -> {
        long rows = 0;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            VectorSchemaRoot root = VectorSchemaRoot.create(source.schema(), allocator);
            ArrowFileWriter writer = new ArrowFileWriter(root, null, out)) {
          writer.start();
          org.apache.arrow.vector.VectorLoader loader = new org.apache.arrow.vector.VectorLoader(root);
          while (source.next()) {
            try (var batch = new VectorUnloader(source.root()).getRecordBatch()) {
              loader.load(batch);
            }
            writer.writeBatch();
            rows += root.getRowCount();
            each.accept(root.getRowCount());
          }
          writer.end();
        }
        return rows;
      }
      case ".parquet", ".csv" -> {
        long[] rows = {0};
        try (ArrowReader reader = new SourceReader(allocator, source, r -> {
          rows[0] += r;
          each.accept(r);
        }); ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator);
            DuckDBConnection conn = (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:")) {
          Data.exportArrayStream(allocator, reader, stream);
          conn.registerArrowStream("hangar_flight", stream);
          String format = ext.equals(".parquet") ? "(FORMAT parquet)" : "(FORMAT csv, HEADER true)";
          try (Statement s = conn.createStatement()) {
            s.execute("COPY (SELECT * FROM hangar_flight) TO " + literal(file.toAbsolutePath().toString()) + " " + format);
          }
        }
        return rows[0];
      }
      default -> throw new FileException("cannot tell which format to write " + file + " in from its name: use .parquet, .csv, .arrow or .feather");
    }
  }

  /** Batches from somewhere (a DoGet), one root reloaded per batch. */
  interface BatchSource {
    Schema schema();

    boolean next();

    VectorSchemaRoot root();
  }

  /** An {@link ArrowReader} over a {@link BatchSource}, for handing to DuckDB. */
  private static final class SourceReader extends ArrowReader {
    private final BatchSource source;
    private final java.util.function.LongConsumer each;

    SourceReader(BufferAllocator allocator, BatchSource source, java.util.function.LongConsumer each) {
      super(allocator);
      this.source = source;
      this.each = each;
    }

    @Override
    public boolean loadNextBatch() throws IOException {
      if (!source.next()) {
        return false;
      }
      try (var batch = new VectorUnloader(source.root()).getRecordBatch()) {
        loadRecordBatch(batch);
      }
      each.accept(source.root().getRowCount());
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
      return source.schema();
    }
  }

  static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  static String firstLine(Throwable e) {
    String m = String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
