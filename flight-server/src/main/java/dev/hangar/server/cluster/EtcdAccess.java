package dev.hangar.server.cluster;

import dev.hangar.config.ClusterConfig;
import dev.hangar.config.ConfigException;
import dev.hangar.server.security.PemFiles;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * How this node reaches etcd: its endpoints, over TLS when they are {@code https://} (trusting
 * {@code cluster.etcdTls.ca}, else the JVM's trust store, and presenting {@code cluster.etcdTls.cert}
 * when given, for etcd's {@code --client-cert-auth}), and as {@code cluster.etcdUser} when etcd's
 * authentication is on. The files are read at start ({@link #of}), so a missing or mismatched one
 * stops the start with its setting's name, and again when they change ({@link #reloadIfChanged}).
 */
public final class EtcdAccess {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EtcdAccess.class);
  /** How long a diagnosis of an etcd that does not answer stays good before the endpoints are probed again. */
  private static final long PROBE_EVERY_NANOS = 10_000_000_000L;
  private static final int PROBE_TIMEOUT_MILLIS = 1000;
  /** etcd answers /health after its own linearizable read, which without a leader takes it a second or two to give up. */
  private static final int HEALTH_TIMEOUT_MILLIS = 3000;

  private final ClusterConfig config;
  private volatile Credentials credentials; // null: plain http
  private volatile List<FileTime> stamps; // of the etcdTls files, to see them change
  private String probed; // the last probe's finding
  private long probedAt;
  private boolean probing;

  /**
   * What the node trusts and presents to etcd, from {@code cluster.etcdTls}'s files.
   *
   * @param ca empty: the JVM's trust store
   * @param chain empty: no client certificate
   */
  private record Credentials(SslContext tls, List<X509Certificate> ca, List<X509Certificate> chain, PrivateKey key) {}

  private EtcdAccess(ClusterConfig config, Credentials credentials) {
    this.config = config;
    this.credentials = credentials;
    this.stamps = stamps(config);
  }

  /** Reads {@code cluster.etcdTls}'s files; a file that cannot be used is a {@link ConfigException} naming it. */
  public static EtcdAccess of(ClusterConfig config) {
    if (config.etcdLogin().isPresent() && !config.etcdOverTls()) {
      LOG.warn("Cluster {}: cluster.etcdPassword goes to etcd over plain http; use https:// endpoints unless the network is trusted",
          config.name());
    }
    try {
      return new EtcdAccess(config, config.etcdOverTls() ? load(config) : null);
    } catch (PemFiles.TlsFileException e) {
      throw new ConfigException("(cannot reach etcd with it)", List.of(e.getMessage()));
    }
  }

  private static Credentials load(ClusterConfig config) throws PemFiles.TlsFileException {
    ClusterConfig.EtcdTls files = config.etcdTls().orElse(new ClusterConfig.EtcdTls(Optional.empty(), Optional.empty(), Optional.empty()));
    try {
      SslContextBuilder b = io.grpc.netty.GrpcSslContexts.forClient();
      List<X509Certificate> ca = List.of();
      if (files.ca().isPresent()) {
        ca = PemFiles.certificates("cluster.etcdTls.ca", files.ca().get());
        PemFiles.checkValid("cluster.etcdTls.ca", files.ca().get(), ca, Instant.now());
        b.trustManager(ca.toArray(new X509Certificate[0]));
      }
      List<X509Certificate> chain = List.of();
      PrivateKey key = null;
      if (files.cert().isPresent()) {
        chain = PemFiles.certificates("cluster.etcdTls.cert", files.cert().get());
        key = PemFiles.privateKey("cluster.etcdTls.key", files.key().get());
        PemFiles.checkPair("cluster.etcdTls", files.cert().get(), chain, files.key().get(), key, Instant.now());
        b.keyManager(key, chain.toArray(new X509Certificate[0]));
      }
      return new Credentials(b.build(), ca, chain, key);
    } catch (SSLException | RuntimeException e) {
      throw new PemFiles.TlsFileException("cluster.etcdTls: this JVM's TLS cannot use " + files.ca().map(p -> "the CA in " + p)
          .orElse("its default trust store") + files.cert().map(p -> " and the certificate in " + p).orElse(""));
    }
  }

  /**
   * Reads {@code cluster.etcdTls}'s files again if they changed since they were read (a certificate
   * renewed in place), and says whether the node should connect anew with them. Files that do not
   * load (half written, a key that does not match) are logged and the ones in use stay.
   */
  boolean reloadIfChanged() {
    if (!config.etcdOverTls() || config.etcdTls().isEmpty()) {
      return false;
    }
    List<FileTime> now = stamps(config);
    if (now.equals(stamps)) {
      return false;
    }
    stamps = now; // a change that does not load is tried again when the files change again
    try {
      credentials = load(config);
      synchronized (this) {
        probed = null; // what the old files met says nothing of the new
      }
      LOG.info("Cluster {}: reloaded the changed files of cluster.etcdTls; connecting to etcd with them", config.name());
      return true;
    } catch (PemFiles.TlsFileException e) {
      LOG.warn("Cluster {}: changed cluster.etcdTls files not loaded, the previous ones stay in use: {}", config.name(), e.getMessage());
      return false;
    }
  }

  private static List<FileTime> stamps(ClusterConfig config) {
    List<FileTime> out = new ArrayList<>();
    config.etcdTls().ifPresent(t -> java.util.stream.Stream.of(t.ca(), t.cert(), t.key()).flatMap(Optional::stream).forEach(p -> {
      try {
        out.add(Files.getLastModifiedTime(p));
      } catch (IOException e) {
        out.add(FileTime.fromMillis(0)); // missing for now
      }
    }));
    return out;
  }

  /** A new etcd client; calls fail rather than wait when etcd does not answer within about two seconds. */
  Client connect() {
    ClientBuilder b = Client.builder().endpoints(config.etcd().stream().map(URI::create).toArray(URI[]::new))
        .connectTimeout(Duration.ofSeconds(2)).retryMaxDuration(Duration.ofSeconds(2));
    Credentials c = credentials;
    if (c != null) {
      b.sslContext(c.tls());
    }
    config.etcdLogin().ifPresent(login -> b.user(ByteSequence.from(login.user(), StandardCharsets.UTF_8))
        .password(ByteSequence.from(login.password(), StandardCharsets.UTF_8)));
    return b.build();
  }

  /** The etcd endpoints, for messages. */
  String endpoints() {
    return String.join(", ", config.etcd());
  }

  /**
   * Why a call to etcd failed, in the operator's terms: a login etcd refused or a permission its roles
   * do not give, from etcd's answer; when the call only timed out (the etcd client retries a
   * connection that fails), what the last probe of the endpoints found (see {@link #probe()}). A
   * probe older than ten seconds is repeated on a thread of its own, so that a heartbeat never waits
   * for one; until the first ends, "looking into why".
   */
  String explain(Throwable failure) {
    String answer = fromAnswer(failure);
    if (answer != null) {
      return answer;
    }
    synchronized (this) {
      if ((probed == null || System.nanoTime() - probedAt > PROBE_EVERY_NANOS) && !probing) {
        probing = true;
        Thread t = new Thread(() -> {
          String found = "no answer";
          try {
            found = probe();
          } finally {
            synchronized (this) {
              probed = found;
              probedAt = System.nanoTime();
              probing = false;
            }
          }
        }, "hangar-etcd-probe");
        t.setDaemon(true);
        t.start();
      }
      return probed != null ? probed : "looking into why";
    }
  }

  /** As {@link #explain}, probing on this thread when needed: for a node that has not reached etcd at all yet. */
  String diagnose(Throwable failure) {
    String answer = fromAnswer(failure);
    if (answer != null) {
      return answer;
    }
    String found = probe();
    synchronized (this) {
      probed = found;
      probedAt = System.nanoTime();
    }
    return found;
  }

  private String fromAnswer(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StatusRuntimeException s) {
        String d = s.getStatus().getDescription() == null ? "" : s.getStatus().getDescription().toLowerCase(Locale.ROOT);
        if (d.contains("authentication failed")) {
          return "etcd refused the login of cluster.etcdUser " + config.etcdLogin().map(l -> "\"" + l.user() + "\"").orElse("")
              + " (wrong user or password)";
        }
        if (d.contains("user name is empty") || d.contains("invalid auth token")) {
          return "etcd has authentication enabled; give the node cluster.etcdUser and cluster.etcdPassword";
        }
        if (s.getStatus().getCode() == Status.Code.PERMISSION_DENIED || d.contains("permission denied")) {
          return "etcd denied this node's user access to /hangar/" + config.name() + "/ (grant its role readwrite on that prefix)";
        }
        if (d.contains("authentication is not enabled")) {
          return "etcd's authentication is not enabled, but cluster.etcdUser is set (enable it in etcd, or drop etcdUser)";
        }
      }
    }
    return null;
  }

  /** What a probe of one endpoint found. */
  private enum Found { NOTHING, SET_UP_WRONG, HEALTHY, UNHEALTHY, SILENT }

  private record Finding(Found kind, String text) {}

  /**
   * Probes every endpoint and says what is wrong: a setting wrong at any endpoint (they are all
   * reached alike), else an etcd that says it has no leader, else one that says it is healthy
   * (so the node's calls are what fails), else one that accepts connections and says nothing, else
   * nothing listening anywhere.
   */
  private String probe() {
    List<Finding> found = config.etcd().stream().map(e -> probe(URI.create(e))).toList();
    for (Found kind : List.of(Found.SET_UP_WRONG, Found.UNHEALTHY, Found.HEALTHY, Found.SILENT)) {
      List<Finding> these = found.stream().filter(f -> f.kind() == kind).toList();
      if (!these.isEmpty()) {
        return these.get(0).text() + (kind == Found.SET_UP_WRONG || found.size() == 1 ? ""
            : " (" + (found.size() - found.stream().filter(f -> f.kind() == Found.NOTHING).count()) + " of " + found.size()
            + " endpoints accept connections)");
      }
    }
    return found.size() == 1 ? found.get(0).text() : "nothing answers at any etcd endpoint (" + endpoints() + ")";
  }

  /**
   * What one endpoint says: a TCP connect, then (over the node's own TLS, for https) etcd's
   * {@code GET /health}, which reports whether etcd has a leader. For an http endpoint that turns
   * out to speak TLS, a TLS handshake confirms it.
   */
  private Finding probe(URI endpoint) {
    int port = endpoint.getPort() < 0 ? 2379 : endpoint.getPort(); // etcd's client port
    String where = endpoint.getHost() + ":" + port;
    InetSocketAddress address = new InetSocketAddress(endpoint.getHost(), port);
    try (Socket plain = new Socket()) {
      plain.connect(address, PROBE_TIMEOUT_MILLIS);
    } catch (IOException e) {
      return new Finding(Found.NOTHING, "nothing answers at " + where + " ("
          + (e instanceof java.net.ConnectException ? "connection refused" : "no connection") + ")");
    }
    boolean https = credentials != null;
    Finding speaksTls = new Finding(Found.SET_UP_WRONG, "etcd serves TLS at " + where
        + "; use https:// endpoints (and cluster.etcdTls.ca when its CA is private)");
    Finding silent = new Finding(Found.SILENT, "etcd at " + where + " accepts connections but does not answer");
    String reply;
    try (Socket s = https ? handshakeContext(true).getSocketFactory().createSocket() : new Socket()) {
      s.connect(address, PROBE_TIMEOUT_MILLIS);
      s.setSoTimeout(PROBE_TIMEOUT_MILLIS);
      if (s instanceof SSLSocket ssl) {
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(p);
        ssl.startHandshake();
      }
      s.setSoTimeout(HEALTH_TIMEOUT_MILLIS);
      reply = health(s, endpoint.getHost());
    } catch (SSLException e) {
      return https ? new Finding(Found.SET_UP_WRONG, "the TLS handshake with etcd at " + where + " failed: " + handshakeHint(e)) : silent;
    } catch (IOException | GeneralSecurityException e) {
      return https ? new Finding(Found.SET_UP_WRONG, "the TLS handshake with etcd at " + where + " failed: " + handshakeHint(e)) : silent;
    }
    if (reply.contains("\"health\":\"true\"")) {
      return new Finding(Found.HEALTHY, "etcd at " + where + " says it is healthy, but this node's calls to it time out");
    }
    if (reply.contains("\"health\":\"false\"")) {
      return new Finding(Found.UNHEALTHY, "etcd at " + where + " says it is not healthy: it has no leader (has it lost its quorum?)");
    }
    if (!https && (reply.contains("HTTPS server") || reply.isEmpty() && speaksTls(address))) {
      return speaksTls;
    }
    return silent;
  }

  /** etcd's answer to {@code GET /health} on {@code s}, up to 4 KiB of it; empty when it says nothing in time. */
  private static String health(Socket s, String host) throws IOException {
    s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    byte[] buffer = new byte[4096];
    int n = 0;
    try {
      for (int r; n < buffer.length && (r = s.getInputStream().read(buffer, n, buffer.length - n)) > 0; ) {
        n += r;
      }
    } catch (java.net.SocketTimeoutException quiet) {
      // what came in time
    } catch (SSLException e) {
      throw e; // TLS 1.3: a server that refuses the client's certificate says so on the first read
    } catch (IOException reset) {
      // a server that closed on a request it did not understand
    }
    return new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
  }

  /** Whether a TLS handshake with any trust succeeds at {@code address}, or ends in the server's alert: TLS is spoken there. */
  private boolean speaksTls(InetSocketAddress address) {
    try (SSLSocket s = (SSLSocket) handshakeContext(false).getSocketFactory().createSocket()) {
      s.connect(address, PROBE_TIMEOUT_MILLIS);
      s.setSoTimeout(PROBE_TIMEOUT_MILLIS);
      s.startHandshake();
      return true;
    } catch (SSLException e) {
      return String.valueOf(e.getMessage()).contains("fatal alert");
    } catch (IOException | GeneralSecurityException e) {
      return false;
    }
  }

  /** For an https endpoint, what the etcd client trusts and presents; for an http one, anything, to learn whether TLS is spoken there. */
  private SSLContext handshakeContext(boolean https) throws GeneralSecurityException, IOException {
    SSLContext c = SSLContext.getInstance("TLS");
    javax.net.ssl.TrustManager[] trust = null; // the JVM's
    if (!https) {
      trust = new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {} // a probe: nothing is sent

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }};
    } else if (!credentials.ca().isEmpty()) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      List<X509Certificate> ca = credentials.ca();
      for (int i = 0; i < ca.size(); i++) {
        store.setCertificateEntry("ca" + i, ca.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      trust = f.getTrustManagers();
    }
    javax.net.ssl.KeyManager[] keys = null;
    Credentials own = credentials;
    if (https && own.key() != null) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setKeyEntry("client", own.key(), new char[0], own.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      f.init(store, new char[0]);
      keys = f.getKeyManagers();
    }
    c.init(keys, trust, null);
    return c;
  }

  private String handshakeHint(Exception e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    if (m.contains("certificate_required") || m.contains("bad_certificate") || m.contains("unknown_ca")) {
      return "etcd wants a client certificate it trusts: cluster.etcdTls.cert and key";
    }
    if (m.contains("pkix") || m.contains("certification path")) {
      return "etcd's certificate is not signed by " + config.etcdTls().flatMap(ClusterConfig.EtcdTls::ca)
          .map(p -> "the CA in cluster.etcdTls.ca (" + p + ")").orElse("a CA the JVM trusts; set cluster.etcdTls.ca");
    }
    if (m.contains("subject alternative") || m.contains("no name matching")) {
      return "etcd's certificate does not name the host of the endpoint";
    }
    if (m.contains("unrecognized ssl message") || m.contains("plaintext") || m.contains("remote host terminated")) {
      return "etcd does not serve TLS there; use http:// endpoints";
    }
    if (m.contains("expired") || m.contains("validity")) {
      return "etcd's certificate has expired or is not valid yet";
    }
    return "check cluster.etcdTls against etcd's --cert-file, --trusted-ca-file and --client-cert-auth";
  }
}
