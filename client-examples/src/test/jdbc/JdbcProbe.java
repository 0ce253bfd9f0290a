import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * JdbcIT's client: runs in its own JVM with only the shaded Flight SQL JDBC driver on the
 * classpath, reads one command per line from stdin (fields separated by tabs) and prints, for each,
 * a line "## n" and then the rows (values tab-separated, as getObject renders them) or one line
 * "ERROR message".
 */
public final class JdbcProbe {
  public static void main(String[] args) throws Exception {
    // host:port for a plain-text node, or a whole JDBC URL (TLS, user/password, token)
    String url = args[0].startsWith("jdbc:") ? args[0] : "jdbc:arrow-flight-sql://" + args[0] + "/?useEncryption=false";
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Connection conn;
    try {
      conn = DriverManager.getConnection(url);
    } catch (SQLException e) {
      // a refused connection (bad credentials, say): every command answers with its message
      int n = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        System.out.println("## " + n++);
        System.out.println("ERROR " + String.valueOf(e.getMessage()).replace('\n', ' '));
      }
      return;
    }
    try (conn; in) {
      int n = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        System.out.println("## " + n++);
        String[] f = line.split("\t", -1);
        try {
          for (String row : run(conn, url, f)) {
            System.out.println(row);
          }
        } catch (SQLException | RuntimeException e) {
          System.out.println("ERROR " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
      }
    }
  }

  private static List<String> run(Connection conn, String url, String[] f) throws Exception {
    switch (f[0]) {
      case "query":
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(f[1])) {
          return rows(rs, null);
        }
      case "prepared":
        try (PreparedStatement ps = conn.prepareStatement(f[1])) {
          for (int i = 2; i < f.length; i++) {
            String[] tv = f[i].split(":", 2);
            switch (tv[0]) {
              case "long" -> ps.setLong(i - 1, Long.parseLong(tv[1]));
              case "double" -> ps.setDouble(i - 1, Double.parseDouble(tv[1]));
              default -> ps.setString(i - 1, tv[1]);
            }
          }
          try (ResultSet rs = ps.executeQuery()) {
            return rows(rs, null);
          }
        }
      case "tables":
        try (ResultSet rs = conn.getMetaData().getTables(null, null, f[1], null)) {
          return rows(rs, new String[] {"TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE"});
        }
      case "columns":
        try (ResultSet rs = conn.getMetaData().getColumns(null, null, f[1], null)) {
          return rows(rs, new String[] {"TABLE_NAME", "COLUMN_NAME", "TYPE_NAME"});
        }
      case "catalogs":
        try (ResultSet rs = conn.getMetaData().getCatalogs()) {
          return rows(rs, null);
        }
      case "schemas":
        try (ResultSet rs = conn.getMetaData().getSchemas()) {
          return rows(rs, null);
        }
      case "product":
        return List.of(conn.getMetaData().getDatabaseProductName() + " " + conn.getMetaData().getDatabaseProductVersion());
      case "parallel": {
        int threads = Integer.parseInt(f[1]);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
          List<Future<List<String>>> results = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            results.add(pool.submit(() -> {
              try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(f[2])) {
                List<String> r = rows(rs, null);
                java.util.Collections.sort(r);
                return r;
              }
            }));
          }
          List<String> first = results.get(0).get();
          for (Future<List<String>> r : results) {
            if (!r.get().equals(first)) {
              throw new IllegalStateException("parallel results differ");
            }
          }
          return first;
        } finally {
          pool.shutdownNow();
        }
      }
      default:
        throw new IllegalArgumentException("unknown command " + f[0]);
    }
  }

  private static List<String> rows(ResultSet rs, String[] columns) throws SQLException {
    List<String> out = new ArrayList<>();
    int count = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      StringBuilder row = new StringBuilder();
      if (columns == null) {
        for (int i = 1; i <= count; i++) {
          row.append(i > 1 ? "\t" : "").append(rs.getObject(i));
        }
      } else {
        for (int i = 0; i < columns.length; i++) {
          row.append(i > 0 ? "\t" : "").append(rs.getString(columns[i]));
        }
      }
      out.add(row.toString());
    }
    return out;
  }
}
