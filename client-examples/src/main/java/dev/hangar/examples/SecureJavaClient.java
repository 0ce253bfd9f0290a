package dev.hangar.examples;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.arrow.adbc.core.AdbcConnection;
import org.apache.arrow.adbc.core.AdbcDatabase;
import org.apache.arrow.adbc.core.AdbcDriver;
import org.apache.arrow.adbc.core.AdbcException;
import org.apache.arrow.adbc.core.AdbcStatement;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlConnectionProperties;
import org.apache.arrow.adbc.driver.flightsql.FlightSqlDriver;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * The Arrow Java Flight client and the Java ADBC driver against a node with TLS and
 * authentication ({@code config/examples/secure.yaml}):
 * <pre>
 *   SecureJavaClient HOST PORT CA_PEM PATH token TOKEN
 *   SecureJavaClient HOST PORT CA_PEM PATH password USER PASSWORD
 * </pre>
 * Lists what the principal may read, reads PATH, and counts its rows with SQL. Prints one line per
 * result: {@code listed <path>}, {@code rows <n>}, {@code sql <n>}, or {@code refused <message>}.
 */
public final class SecureJavaClient {
  private SecureJavaClient() {}

  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    Path ca = Path.of(args[2]);
    String path = args[3];
    boolean byToken = args[4].equals("token");
    try (BufferAllocator allocator = new RootAllocator(); InputStream caPem = Files.newInputStream(ca);
        FlightClient client = FlightClient.builder(allocator, Location.forGrpcTls(host, port)).useTls().trustedCertificates(caPem).build()) {
      // a token goes in every call's header; a password is exchanged once (Handshake) for a session token
      CallOption auth = byToken ? new CredentialCallOption(new BearerCredentialWriter(args[5]))
          : client.authenticateBasicToken(args[5], args[6]).orElseThrow();
      client.listFlights(Criteria.ALL, auth).forEach(i -> System.out.println("listed " + i.getDescriptor().getPath().get(0)));
      try (FlightStream stream = client.getStream(new Ticket(path.getBytes(java.nio.charset.StandardCharsets.UTF_8)), auth)) {
        long rows = 0;
        while (stream.next()) {
          rows += stream.getRoot().getRowCount();
        }
        System.out.println("rows " + rows);
      } catch (FlightRuntimeException e) {
        System.out.println("refused " + e.status().description());
      }

      Map<String, Object> params = new HashMap<>();
      params.put(AdbcDriver.PARAM_URI.getKey(), "grpc+tls://" + host + ":" + port);
      params.put(FlightSqlConnectionProperties.TLS_ROOT_CERTS.getKey(), Files.newInputStream(ca));
      if (byToken) {
        params.put(FlightSqlConnectionProperties.RPC_CALL_HEADER_PREFIX + "authorization", "Bearer " + args[5]);
      } else {
        params.put(AdbcDriver.PARAM_USERNAME.getKey(), args[5]);
        params.put(AdbcDriver.PARAM_PASSWORD.getKey(), args[6]);
      }
      try (AdbcDatabase db = new FlightSqlDriver(allocator).open(params); AdbcConnection conn = db.connect();
          AdbcStatement s = conn.createStatement()) {
        s.setSqlQuery("SELECT count(*) FROM \"" + path + "\"");
        try (AdbcStatement.QueryResult result = s.executeQuery(); ArrowReader reader = result.getReader()) {
          reader.loadNextBatch();
          System.out.println("sql " + reader.getVectorSchemaRoot().getVector(0).getObject(0));
        }
      } catch (AdbcException e) {
        System.out.println("refused " + e.getMessage());
      }
    }
  }
}
