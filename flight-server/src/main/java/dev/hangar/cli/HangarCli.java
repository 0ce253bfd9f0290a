package dev.hangar.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.Criteria;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.SyncPutListener;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.auth2.BearerCredentialWriter;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.types.pojo.Schema;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code hangar} commands that talk to a running node: put, get, ls, rm, describe, stats, sql.
 * Every failure ends in one line a person can act on and an {@link ExitCode} a script can test.
 */
@Command(name = "hangar", mixinStandardHelpOptions = true, version = "hangar " + dev.hangar.server.HangarServer.VERSION,
    description = "Talk to a Hangar node. Also: hangar serve | check-config | default-config | hash-secret (see --help of each).",
    subcommands = {HangarCli.Put.class, HangarCli.Get.class, HangarCli.Ls.class, HangarCli.Rm.class, HangarCli.Describe.class,
        HangarCli.Stats.class, HangarCli.Sql.class, CommandLine.HelpCommand.class,
        picocli.AutoComplete.GenerateCompletion.class})
public final class HangarCli {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where progress bars go (stderr, or what a test captures). */
  private PrintStream err = System.err;

  /** Runs {@code args}; returns the exit code. Output goes to {@code out}, errors and progress to {@code err}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    HangarCli top = new HangarCli();
    top.err = err;
    CommandLine cl = new CommandLine(top);
    cl.setOut(new java.io.PrintWriter(out, true));
    cl.setErr(new java.io.PrintWriter(err, true));
    cl.setExitCodeExceptionMapper(e -> e instanceof Failure f ? f.code.code : ExitCode.FAILED.code);
    cl.setExecutionExceptionHandler((e, line, parsed) -> {
      Failure f = Failure.of(e);
      err.println("hangar " + line.getCommandName() + ": " + f.getMessage());
      return f.code.code;
    });
    cl.setParameterExceptionHandler((e, a) -> {
      err.println("hangar: " + e.getMessage() + " (hangar --help lists the commands and options)");
      return ExitCode.USAGE.code;
    });
    return cl.execute(args);
  }

  /** A failure with its exit code and a message for a person. */
  static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final ExitCode code;

    Failure(ExitCode code, String message) {
      super(message);
      this.code = code;
    }

    static Failure of(Throwable e) {
      if (e instanceof Failure f) {
        return f;
      }
      if (e instanceof FlightRuntimeException f) {
        ExitCode code = ExitCode.of(f);
        String m = f.status().description();
        if (code == ExitCode.UNAVAILABLE) {
          m = "no Hangar node answers (" + m + "); is it running at this --url (or HANGAR_URL)?";
        }
        return new Failure(code, m);
      }
      if (e instanceof FileFormats.FileException f) {
        return new Failure(ExitCode.BAD_INPUT, f.getMessage());
      }
      if (e instanceof java.io.IOException io) {
        return new Failure(ExitCode.BAD_INPUT, "cannot use a file: " + io.getMessage());
      }
      return new Failure(ExitCode.FAILED, FileFormats.firstLine(e));
    }
  }

  /** Where the node is and who is asking: the options every command takes. */
  static final class Connection {
    @Option(names = "--url", defaultValue = "${env:HANGAR_URL:-grpc://127.0.0.1:8815}",
        description = "the node (grpc://host:port or grpc+tls://host:port; env HANGAR_URL)")
    String url;

    @Option(names = "--token", defaultValue = "${env:HANGAR_TOKEN}", description = "a bearer token (env HANGAR_TOKEN)")
    String token;

    @Option(names = "--user", defaultValue = "${env:HANGAR_USER}",
        description = "a user name; the password comes from HANGAR_PASSWORD or a prompt")
    String user;

    @Option(names = "--tls-root-certs", defaultValue = "${env:HANGAR_TLS_ROOT_CERTS}",
        description = "PEM file of the CA that signed the node's certificate (env HANGAR_TLS_ROOT_CERTS)")
    Path tlsRootCerts;

    private CallOption auth;

    FlightClient open(BufferAllocator allocator) throws Exception {
      Location location;
      try {
        location = new Location(url);
      } catch (java.net.URISyntaxException | RuntimeException e) {
        throw new Failure(ExitCode.USAGE, "--url " + url + " is not a Flight URL (use grpc://host:port or grpc+tls://host:port)");
      }
      FlightClient.Builder b = FlightClient.builder(allocator, location);
      FlightClient client;
      if (tlsRootCerts != null) {
        byte[] pem;
        try {
          pem = Files.readAllBytes(tlsRootCerts);
        } catch (java.io.IOException e) {
          throw new Failure(ExitCode.BAD_INPUT, "--tls-root-certs " + tlsRootCerts + " cannot be read");
        }
        try (InputStream in = new java.io.ByteArrayInputStream(pem)) { // read when the client is built
          client = b.useTls().trustedCertificates(in).build();
        }
      } else {
        if (url.startsWith("grpc+tls")) {
          b.useTls();
        }
        client = b.build();
      }
      if (token != null && !token.isEmpty()) {
        auth = new CredentialCallOption(new BearerCredentialWriter(token));
      } else if (user != null && !user.isEmpty()) {
        String password = System.getenv("HANGAR_PASSWORD");
        if (password == null && System.console() != null) {
          password = new String(System.console().readPassword("password for %s: ", user));
        }
        if (password == null) {
          client.close();
          throw new Failure(ExitCode.DENIED, "--user " + user + " needs a password: set HANGAR_PASSWORD or run it at a terminal");
        }
        auth = client.authenticateBasicToken(user, password).orElseThrow();
      }
      return client;
    }

    CallOption[] options() {
      return auth == null ? new CallOption[0] : new CallOption[] {auth};
    }
  }

  static ProgressBar progress(String task, long max, String unit, PrintStream err) {
    return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(unit, 1).showSpeed()
        .setStyle(ProgressBarStyle.ASCII).setConsumer(new ConsoleProgressBarConsumer(err)).setUpdateIntervalMillis(250).build();
  }

  abstract static class Base implements Callable<Integer> {
    @Mixin
    Connection connection;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    java.io.PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintStream err() {
      return ((HangarCli) spec.parent().userObject()).err;
    }

    @Override
    public Integer call() throws Exception {
      try (BufferAllocator allocator = new RootAllocator(); FlightClient client = connection.open(allocator)) {
        run(allocator, client, connection.options());
      } finally {
        out().flush();
      }
      return 0;
    }

    abstract void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception;
  }

  @Command(name = "put", description = "Store a Parquet, CSV, JSON, Arrow or Feather file as a flight, showing progress.")
  static final class Put extends Base {
    @Parameters(index = "0", description = "the file (its name says its format: " + FileFormats.KNOWN + ")")
    Path file;

    @Parameters(index = "1", description = "the flight path, e.g. cache/tenant1/sales")
    String path;

    @Override
    void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception {
      PrintStream err = err();
      try (FileFormats.Source source = FileFormats.open(file, allocator, 64 * 1024)) {
        VectorSchemaRoot root = source.reader().getVectorSchemaRoot();
        SyncPutListener results = new SyncPutListener();
        FlightClient.ClientStreamListener put = client.startPut(FlightDescriptor.path(path), root, results, auth);
        long bytes = 0;
        try (ProgressBar bar = progress("put " + path, source.rows(), " rows", err)) {
          while (source.reader().loadNextBatch()) {
            put.putNext();
            bar.stepBy(root.getRowCount());
            try (var batch = new VectorUnloader(root).getRecordBatch()) {
              bytes += batch.computeBodyLength();
            }
            bar.setExtraMessage(Tables.size(bytes));
          }
          put.completed();
          put.getResult();
        } catch (FlightRuntimeException e) {
          throw e;
        }
        try (PutResult result = results.read()) {
          ArrowBuf meta = result.getApplicationMetadata();
          byte[] b = new byte[(int) meta.readableBytes()];
          meta.getBytes(0, b);
          JsonNode r = JSON.readTree(b);
          out().printf("stored %s: %,d rows, %s in %s (durability %s)%n", r.get("path").asText(), r.get("rows").asLong(),
              Tables.size(r.get("bytes").asLong()), r.get("tier").asText(), r.get("durability").asText());
        }
      }
    }
  }

  @Command(name = "get", description = "Read a flight into a .parquet, .csv, .arrow or .feather file, or print it as a table.")
  static final class Get extends Base {
    @Parameters(index = "0", description = "the flight path")
    String path;

    @Mixin
    Output output;

    @Override
    void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception {
      long rows = client.getInfo(FlightDescriptor.path(path), auth).getRecords();
      try (FlightStream stream = client.getStream(new Ticket(path.getBytes(StandardCharsets.UTF_8)), auth)) {
        emit(stream, rows, output.file, output.limit, allocator, out(), err(), "get " + path);
      }
    }
  }

  /** Where get and sql put what they read: a file, or a table of at most {@code --limit} rows. */
  static final class Output {
    @Option(names = {"-o", "--output"}, description = "the file to write (.parquet, .csv, .arrow, .feather); without it, a table on stdout")
    Path file;

    @Option(names = "--limit", defaultValue = "100", description = "rows printed without -o (default ${DEFAULT-VALUE})")
    int limit;
  }

  /** Writes a stream to {@code output}, or prints up to {@code limit} rows of it. */
  static void emit(FlightStream stream, long rows, Path output, int limit, BufferAllocator allocator, java.io.PrintWriter out,
      PrintStream err, String task)
      throws Exception {
    FileFormats.BatchSource source = new FileFormats.BatchSource() {
      @Override
      public Schema schema() {
        return stream.getSchema();
      }

      @Override
      public boolean next() {
        return stream.next();
      }

      @Override
      public VectorSchemaRoot root() {
        return stream.getRoot();
      }
    };
    if (output != null) {
      long written;
      try (ProgressBar bar = progress(task, rows, " rows", err)) {
        written = FileFormats.write(output, source, allocator, bar::stepBy);
      }
      out.printf("wrote %,d rows to %s%n", written, output);
      return;
    }
    List<String> header = new ArrayList<>();
    stream.getSchema().getFields().forEach(f -> header.add(f.getName()));
    List<List<String>> table = new ArrayList<>();
    long total = 0;
    while (source.next()) {
      VectorSchemaRoot root = source.root();
      for (int i = 0; i < root.getRowCount(); i++, total++) {
        if (table.size() < limit) {
          List<String> row = new ArrayList<>();
          for (var v : root.getFieldVectors()) {
            Object o = v.getObject(i);
            row.add(o == null ? "null" : o.toString());
          }
          table.add(row);
        }
      }
    }
    Tables.print(out, header, table);
    if (total > table.size()) {
      out.printf("(%,d of %,d rows shown; write them all with -o FILE)%n", table.size(), total);
    }
  }

  @Command(name = "ls", description = "List flights: path, rows, size, tier, durability and expiry.")
  static final class Ls extends Base {
    @Parameters(index = "0", arity = "0..1", defaultValue = "", description = "only paths starting with this prefix")
    String prefix;

    @Override
    void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception {
      List<List<String>> rows = new ArrayList<>();
      for (FlightInfo info : client.listFlights(new Criteria(prefix.getBytes(StandardCharsets.UTF_8)), auth)) {
        String path = String.join("/", info.getDescriptor().getPath());
        JsonNode d = describe(client, path, auth);
        rows.add(List.of(path, String.format("%,d", info.getRecords()), Tables.size(d.path("bytes").asLong()), d.path("tier").asText(),
            d.path("durability").asText(), d.path("expiresAt").isNull() ? "-" : d.path("expiresAt").asText()));
      }
      Tables.print(out(), List.of("path", "rows", "size", "tier", "durability", "expires"), rows);
    }
  }

  static JsonNode describe(FlightClient client, String path, CallOption[] auth) throws Exception {
    return action(client, "describe", path, auth);
  }

  static JsonNode action(FlightClient client, String type, String body, CallOption[] auth) throws Exception {
    Iterator<Result> r = client.doAction(new Action(type, body.getBytes(StandardCharsets.UTF_8)), auth);
    return JSON.readTree(r.next().getBody());
  }

  @Command(name = "rm", description = "Delete a flight, or every flight under --prefix.")
  static final class Rm extends Base {
    @Parameters(index = "0", arity = "0..1", description = "the flight path")
    String path;

    @Option(names = "--prefix", description = "delete every flight whose path starts with this")
    String prefix;

    @Override
    void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception {
      if ((path == null) == (prefix == null)) {
        throw new Failure(ExitCode.USAGE, "give a flight path or --prefix P, not both or neither");
      }
      if (path != null) {
        action(client, "delete", path, auth);
        out().println("deleted " + path);
      } else {
        out().printf("deleted %,d flight(s) under %s%n", action(client, "delete-prefix", prefix, auth).get("deleted").asLong(), prefix);
      }
    }
  }

  @Command(name = "describe", description = "Everything the node knows about one flight.")
  static final class Describe extends Base {
    @Parameters(index = "0", description = "the flight path")
    String path;

    @Option(names = "--json", description = "print the JSON the node answered")
    boolean json;

    @Override
    void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception {
      JsonNode d = describe(client, path, auth);
      if (json) {
        out().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(d));
        return;
      }
      List<List<String>> rows = new ArrayList<>();
      d.fields().forEachRemaining(e -> rows.add(List.of(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString())));
      Tables.print(out(), List.of("field", "value"), rows);
    }
  }

  @Command(name = "stats", description = "What the node holds, per storage type and class.")
  static final class Stats extends Base {
    @Option(names = "--json", description = "print the JSON the node answered")
    boolean json;

    @Override
    void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception {
      JsonNode s = action(client, "stats", "", auth);
      if (json) {
        out().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
        return;
      }
      List<List<String>> types = new ArrayList<>();
      s.path("storageTypes").fields().forEachRemaining(e -> types.add(List.of(e.getKey(), Tables.size(e.getValue().path("bytes").asLong()),
          Tables.size(e.getValue().path("capacity").asLong()), String.format("%,d", e.getValue().path("flights").asLong()),
          String.format("%,d", e.getValue().path("hits").asLong()), String.format("%,d", e.getValue().path("evictions").asLong()))));
      Tables.print(out(), List.of("storage", "used", "capacity", "flights", "reads", "evictions"), types);
      out().println();
      List<List<String>> classes = new ArrayList<>();
      s.path("storageClasses").fields().forEachRemaining(e -> classes.add(List.of("\"" + e.getKey() + "\"",
          e.getValue().path("durability").asText(), String.format("%,d", e.getValue().path("flights").asLong()),
          Tables.size(e.getValue().path("bytes").asLong()), String.format("%,d", e.getValue().path("puts").asLong()))));
      Tables.print(out(), List.of("class", "durability", "flights", "size", "puts"), classes);
      JsonNode cluster = s.path("cluster");
      if (!cluster.isMissingNode()) {
        out().println();
        out().printf("cluster %s, this node %s, etcd %s, %,d forwarded puts, %,d proxied reads, %,d rebalancing copies%n",
            cluster.path("name").asText(), cluster.path("self").asText(),
            cluster.path("etcdReachable").asBoolean() ? "reachable" : "NOT reachable (" + cluster.path("etcdProblem").asText("no answer")
                + "; serving on the last members seen)",
            cluster.path("forwardedPuts").asLong(), cluster.path("proxiedGets").asLong(), cluster.path("rebalanceCopies").asLong());
        List<List<String>> members = new ArrayList<>();
        cluster.path("members").forEach(m -> members.add(List.of(m.path("id").asText(), m.path("flight").asText(), m.path("http").asText())));
        Tables.print(out(), List.of("member", "flight", "http"), members);
      }
    }
  }

  @Command(name = "sql", description = "Run a SQL query over flights; print a table, or write -o FILE.")
  static final class Sql extends Base {
    @Parameters(index = "0", description = "the query, e.g. SELECT region, sum(amount) FROM \"cache/t1/sales\" GROUP BY 1")
    String query;

    @Mixin
    Output output;

    @Override
    void run(BufferAllocator allocator, FlightClient client, CallOption[] auth) throws Exception {
      FlightSqlClient sql = new FlightSqlClient(client);
      FlightInfo info = sql.execute(query, auth);
      try (FlightStream stream = sql.getStream(info.getEndpoints().get(0).getTicket(), auth)) {
        emit(stream, info.getRecords(), output.file, output.limit, allocator, out(), err(), "sql");
      }
    }
  }
}
