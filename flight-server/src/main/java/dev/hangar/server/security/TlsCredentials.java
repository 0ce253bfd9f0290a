package dev.hangar.server.security;

import dev.hangar.config.TlsConfig;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS identity and, for mutual TLS, the CA it trusts for clients, read from the files
 * of {@code server.tls} and re-read when they change ({@link #reloadIfChanged}, called every few
 * seconds): new connections use the new files, open ones keep theirs. A change that does not load
 * (a half-written file, a key that does not match) is logged and the previous credentials stay.
 */
public final class TlsCredentials {
  private static final Logger LOG = LoggerFactory.getLogger(TlsCredentials.class);

  private final TlsConfig config;
  private final KeyManager keys = new KeyManager();
  private final TrustManager trust = new TrustManager();
  private volatile List<FileTime> stamps;

  private TlsCredentials(TlsConfig config) {
    this.config = config;
  }

  /** The node's key and certificate chain, current across reloads: what it presents to other nodes as a client. */
  public javax.net.ssl.X509ExtendedKeyManager keyManager() {
    return keys;
  }

  /** Loads the files, or fails with what is wrong with them. */
  public static TlsCredentials load(TlsConfig config) throws PemFiles.TlsFileException {
    TlsCredentials c = new TlsCredentials(config);
    c.stamps = c.stamps();
    c.install(Instant.now());
    return c;
  }

  /**
   * Checks the files as {@code check-config} and {@code serve} report them: each exists and is
   * readable, the key matches the certificate, and no certificate has expired. Returns the problems.
   */
  public static List<String> problems(TlsConfig config, Instant now) {
    List<String> out = new ArrayList<>();
    try {
      List<X509Certificate> chain = PemFiles.certificates("server.tls.cert", config.cert());
      PrivateKey key = PemFiles.privateKey(config.key());
      PemFiles.checkPair(config.cert(), chain, config.key(), key, now);
    } catch (PemFiles.TlsFileException e) {
      out.add(e.getMessage());
    }
    if (config.clientCa().isPresent()) {
      try {
        PemFiles.checkValid("server.tls.clientCa", config.clientCa().get(),
            PemFiles.certificates("server.tls.clientCa", config.clientCa().get()), now);
      } catch (PemFiles.TlsFileException e) {
        out.add(e.getMessage());
      }
    }
    return out;
  }

  /** The Netty context for the server: ALPN h2, these managers, client certificates as configured. */
  public SslContext sslContext() {
    try {
      var builder = GrpcSslContexts.configure(io.netty.handler.ssl.SslContextBuilder.forServer(keys));
      if (config.mutual()) {
        builder.trustManager(trust).clientAuth(config.clientAuth() == TlsConfig.ClientAuth.REQUIRE ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
      }
      return builder.build();
    } catch (SSLException e) {
      throw new IllegalStateException("Cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /** A JDK TLS context with the same (reloading) server identity, for the operations port. */
  public javax.net.ssl.SSLContext jdkServerContext() {
    try {
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(new javax.net.ssl.KeyManager[] {keys}, null, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Cannot set up TLS for the operations port: " + e.getMessage(), e);
    }
  }

  /** Re-reads the files if any changed since the last load; returns whether new credentials are in use. */
  public boolean reloadIfChanged() {
    List<FileTime> now = stamps();
    if (Objects.equals(now, stamps)) {
      return false;
    }
    try {
      install(Instant.now());
      stamps = now;
      LOG.info("Reloaded the TLS certificate files of server.tls");
      return true;
    } catch (PemFiles.TlsFileException e) {
      LOG.warn("Changed TLS files not loaded, the previous ones stay in use: {}", e.getMessage());
      stamps = now; // try again when they change again
      return false;
    }
  }

  private void install(Instant now) throws PemFiles.TlsFileException {
    List<X509Certificate> chain = PemFiles.certificates("server.tls.cert", config.cert());
    PrivateKey key = PemFiles.privateKey(config.key());
    PemFiles.checkPair(config.cert(), chain, config.key(), key, now);
    X509ExtendedTrustManager clients = null;
    if (config.clientCa().isPresent()) {
      clients = trustManagerFor(config.clientCa().get(), PemFiles.certificates("server.tls.clientCa", config.clientCa().get()));
    }
    keys.set(key, chain.toArray(X509Certificate[]::new));
    if (clients != null) {
      trust.set(clients);
    }
  }

  private List<FileTime> stamps() {
    List<FileTime> out = new ArrayList<>();
    for (Path p : config.clientCa().map(ca -> List.of(config.cert(), config.key(), ca)).orElse(List.of(config.cert(), config.key()))) {
      try {
        out.add(Files.getLastModifiedTime(p));
      } catch (IOException e) {
        out.add(null);
      }
    }
    return out;
  }

  private static X509ExtendedTrustManager trustManagerFor(Path file, List<X509Certificate> cas) throws PemFiles.TlsFileException {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < cas.size(); i++) {
        store.setCertificateEntry("ca" + i, cas.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      for (javax.net.ssl.TrustManager tm : f.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
    } catch (GeneralSecurityException | IOException e) {
      // fall through
    }
    throw new PemFiles.TlsFileException("server.tls.clientCa " + file + " cannot be used as a trust store");
  }

  /** The current server key and chain; swapped whole on reload. */
  private static final class KeyManager extends X509ExtendedKeyManager {
    private record Identity(PrivateKey key, X509Certificate[] chain) {}

    private volatile Identity identity;

    void set(PrivateKey key, X509Certificate[] chain) {
      identity = new Identity(key, chain);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, SSLEngine engine) {
      return "hangar";
    }

    @Override
    public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
      return "hangar";
    }

    @Override
    public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
      return new String[] {"hangar"};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return identity.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return identity.key();
    }

    // as a client, the node presents the same identity (to the other nodes of a mutual-TLS cluster)
    @Override
    public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
      return new String[] {"hangar"};
    }

    @Override
    public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
      return "hangar";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, SSLEngine engine) {
      return "hangar";
    }
  }

  /** The current client CA's trust manager; swapped whole on reload. */
  private static final class TrustManager extends X509ExtendedTrustManager {
    private volatile X509ExtendedTrustManager delegate;

    void set(X509ExtendedTrustManager d) {
      delegate = d;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("a server does not check servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("a server does not check servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a server does not check servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
