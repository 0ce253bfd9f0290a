import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * SqlBench's JDBC client, in a JVM of its own with only the shaded Flight SQL JDBC driver: one
 * connection; each line on stdin is a query, which it runs end to end, reading every value, and
 * prints "nanos rows checksum" (checksum: the sum of the third column, if there is one).
 */
public final class JdbcBench {
  public static void main(String[] args) throws Exception {
    try (Connection conn = DriverManager.getConnection("jdbc:arrow-flight-sql://" + args[0] + "/?useEncryption=false");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        long t0 = System.nanoTime();
        long rows = 0;
        double checksum = 0;
        try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(line)) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= columns; i++) {
              rs.getObject(i);
            }
            checksum += columns >= 3 ? rs.getDouble(3) : 0;
            rows++;
          }
        }
        System.out.println((System.nanoTime() - t0) + " " + rows + " " + checksum);
        System.out.flush();
      }
    }
  }
}
