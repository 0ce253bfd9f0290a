import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Hangar from JDBC, with Apache Arrow's Flight SQL JDBC driver: browse the flights as tables, run
 * a GROUP BY, then a prepared statement with a parameter. A single-file program: run it with the
 * driver jar on the classpath, e.g. {@code client-examples/run-jdbc.sh [host:port]}.
 */
public final class HangarJdbc {
  private HangarJdbc() {}

  public static void main(String[] args) throws SQLException {
    String hostPort = args.length > 0 ? args[0] : "127.0.0.1:8815";
    String url = "jdbc:arrow-flight-sql://" + hostPort + "/?useEncryption=false";
    try (Connection conn = DriverManager.getConnection(url)) {
      DatabaseMetaData meta = conn.getMetaData();
      System.out.println("connected to " + meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion());
      try (ResultSet tables = meta.getTables(null, null, "%", null)) {
        while (tables.next()) {
          System.out.println("table: " + tables.getString("TABLE_NAME"));
        }
      }
      String path = args.length > 1 ? args[1] : "cache/tenant1/sales";
      try (Statement s = conn.createStatement();
          ResultSet rs = s.executeQuery("SELECT region, sum(amount) AS total FROM \"" + path + "\" GROUP BY region ORDER BY region")) {
        print(rs);
      }
      try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) AS n FROM \"" + path + "\" WHERE amount > ?")) {
        ps.setDouble(1, 1.0);
        try (ResultSet rs = ps.executeQuery()) {
          print(rs);
        }
      }
    }
  }

  private static void print(ResultSet rs) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    StringBuilder header = new StringBuilder();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      header.append(i > 1 ? "\t" : "").append(md.getColumnLabel(i));
    }
    System.out.println(header);
    while (rs.next()) {
      StringBuilder row = new StringBuilder();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        row.append(i > 1 ? "\t" : "").append(rs.getObject(i));
      }
      System.out.println(row);
    }
  }
}
