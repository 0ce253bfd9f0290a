package dev.hangar.server.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.hangar.config.AuthConfig;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every call on the Flight port, as a gRPC interceptor in front of every Flight and
 * Flight SQL method, and runs the call as its {@link Principal} ({@link #current()}).
 *
 * <p>A call authenticates by its {@code authorization} header, or else by its client certificate:
 * <ul>
 *   <li>{@code Bearer <token>}: a configured token (checked by its SHA-256), or a session token that
 *       a Basic call was given;
 *   <li>{@code Basic <base64 user:password>}: the password is checked against its PBKDF2 hash, and
 *       the answer carries {@code authorization: Bearer <session token>} for the calls that follow
 *       (the Flight convention; pyarrow's {@code authenticate_basic_token} and the JDBC driver use it).
 *       Session tokens are bounded in number ({@code auth.maxSessions}, oldest dropped first) and in
 *       lifetime ({@code auth.sessionLifetime}), and are lost on restart;
 *   <li>a client certificate (mutual TLS) whose subject a principal names.
 * </ul>
 * Failures are {@code UNAUTHENTICATED} with a message naming the accepted schemes, counted by
 * reason, and logged without secrets. After {@value #FREE_FAILURES} failures from one address, that
 * address is refused for a time that doubles with each further failure (up to a minute) without its
 * credentials being checked, which makes guessing slow; a success clears its record.
 */
public final class Authenticator implements ServerInterceptor {
  private static final Logger LOG = LoggerFactory.getLogger(Authenticator.class);
  private static final Context.Key<Principal> PRINCIPAL = Context.key("hangar-principal");
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final int FREE_FAILURES = 5;
  private static final long MAX_BLOCK_MILLIS = 60_000;
  private static final int MAX_HEADER = 8192;

  private final AuthConfig config;
  private final Map<String, Principal> byTokenHash = new HashMap<>();
  private final Map<String, AuthConfig.Principal> byName = new HashMap<>();
  private final Map<String, Principal> bySubject = new HashMap<>();
  private final Map<String, Principal> principals = new HashMap<>();
  private final Sessions sessions;
  private final Cache<String, Failures> failures;
  private final Map<String, AtomicLong> failureCounts = new ConcurrentHashMap<>();
  private final Map<String, Usage> usage = new ConcurrentHashMap<>();
  private final String schemes;
  private volatile Runnable onRefusedPut = () -> {};
  private volatile byte[] clusterTokenHash;

  public Authenticator(AuthConfig config, boolean mutualTls) {
    this.config = config;
    for (AuthConfig.Principal p : config.principals()) {
      Principal principal = new Principal(p.name(), p.grants());
      principals.put(p.name(), principal);
      byName.put(p.name(), p);
      p.tokenHashes().forEach(h -> byTokenHash.put(h, principal));
      p.certificate().ifPresent(s -> bySubject.put(AuthConfig.canonicalSubject(s), principal));
    }
    this.sessions = new Sessions(config.sessionLifetime(), config.maxSessions());
    this.failures = Caffeine.newBuilder().expireAfterAccess(java.time.Duration.ofMinutes(10)).maximumSize(100_000).build();
    this.schemes = "send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>'"
        + (mutualTls && !bySubject.isEmpty() ? ", or connect with a client certificate mapped to a principal" : "");
  }

  /** The principal the current call runs as; a principal with no grants outside a call. */
  public static Principal current() {
    Principal p = PRINCIPAL.get();
    return p != null ? p : Principal.NOBODY;
  }

  /** Runs {@code work} as {@code p} (for work handed to another thread). */
  public static Context as(Principal p) {
    return Context.current().withValue(PRINCIPAL, p);
  }

  /** Runs {@code r} each time a DoPut is refused for its credentials (put-rejection metrics). */
  public void onRefusedPut(Runnable r) {
    this.onRefusedPut = r;
  }

  /** Authentication failures so far, by reason (for stats and metrics). */
  public Map<String, Long> failures() {
    Map<String, Long> out = new java.util.TreeMap<>();
    failureCounts.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  public int sessionCount() {
    return sessions.size();
  }

  /**
   * Lets calls that present {@code token} in {@code x-hangar-cluster-token} run as {@link
   * Principal#CLUSTER}: other nodes of this node's cluster. Only its SHA-256 is kept.
   */
  public void clusterToken(String token) {
    this.clusterTokenHash = Secrets.sha256(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String clusterToken = headers.get(dev.hangar.server.cluster.Peers.CLUSTER_TOKEN);
    if (clusterToken != null) {
      byte[] expected = clusterTokenHash;
      if (expected != null && java.security.MessageDigest.isEqual(expected, Secrets.sha256(clusterToken.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
        return Contexts.interceptCall(as(Principal.CLUSTER), call, headers, next);
      }
      count("bad_cluster_token");
      refusedCall(call);
      LOG.warn("Authentication failed from {} for {}: wrong cluster token", peerAddress(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)),
          call.getMethodDescriptor().getBareMethodName());
      return refuse(call, "Invalid cluster token (x-hangar-cluster-token): this node is not in that cluster, or the token differs");
    }
    if (!config.enabled()) {
      return Contexts.interceptCall(as(Principal.ANONYMOUS), call, headers, next); // no per-principal limit without auth
    }
    String peer = peerAddress(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    Failures f = failures.getIfPresent(peer);
    long blocked = f == null ? 0 : f.blockedFor(System.currentTimeMillis());
    if (blocked > 0) {
      count("throttled");
      refusedCall(call);
      return refuse(call, "Too many failed authentication attempts from this address; try again in "
          + Math.max(1, (blocked + 999) / 1000) + " s");
    }
    String header = headers.get(AUTHORIZATION);
    Outcome outcome;
    if (header != null) {
      outcome = fromHeader(header, true);
    } else {
      outcome = fromCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    }
    if (outcome.principal == null) {
      if (outcome.credentialsGiven) {
        failures.asMap().computeIfAbsent(peer, k -> new Failures()).failed(System.currentTimeMillis());
      }
      count(outcome.reason);
      refusedCall(call);
      LOG.warn("Authentication failed from {} for {}: {}", peer, call.getMethodDescriptor().getBareMethodName(), outcome.logMessage);
      return refuse(call, outcome.clientMessage);
    }
    if (f != null) {
      failures.invalidate(peer);
    }
    ServerCall<Q, R> answered = call;
    if (outcome.sessionToken != null) {
      String token = outcome.sessionToken;
      answered = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
        private boolean sent;

        @Override
        public void sendHeaders(Metadata responseHeaders) {
          sent = true;
          responseHeaders.put(AUTHORIZATION, "Bearer " + token);
          super.sendHeaders(responseHeaders);
        }

        @Override
        public void close(Status status, Metadata trailers) {
          if (!sent) { // a call answered with trailers only (Handshake): clients read the token there
            trailers.put(AUTHORIZATION, "Bearer " + token);
          }
          super.close(status, trailers);
        }
      };
    }
    Usage u = usage.computeIfAbsent(outcome.principal.name(), n -> new Usage());
    if (u.running.incrementAndGet() > config.maxCallsPerPrincipal()) {
      u.running.decrementAndGet();
      u.refused.increment();
      return refuse(answered, Status.RESOURCE_EXHAUSTED, "Principal \"" + outcome.principal.name() + "\" has "
          + config.maxCallsPerPrincipal() + " calls running, the most auth.maxCallsPerPrincipal allows; retry when some have finished");
    }
    u.calls.increment();
    ServerCall.Listener<Q> listener;
    try {
      listener = Contexts.interceptCall(as(outcome.principal), answered, headers, next);
    } catch (RuntimeException | Error e) {
      u.running.decrementAndGet();
      throw e;
    }
    return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          end();
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          end();
        }
      }

      private void end() {
        if (ended.compareAndSet(false, true)) {
          u.running.decrementAndGet();
        }
      }
    };
  }

  /**
   * The principal an HTTP request's {@code authorization} header names (the operations port), or
   * null, the failure counted, throttled and logged as for a Flight call. Basic gives no session.
   */
  public Principal authenticateHttp(String header, String peer, String what) {
    if (!config.enabled()) {
      return Principal.ANONYMOUS;
    }
    Failures f = failures.getIfPresent(peer);
    if (f != null && f.blockedFor(System.currentTimeMillis()) > 0) {
      count("throttled");
      return null;
    }
    Outcome outcome;
    if (header == null) {
      outcome = Outcome.failed("missing", "", "no credentials");
      outcome.credentialsGiven = false;
    } else {
      outcome = fromHeader(header, false);
    }
    if (outcome.principal == null) {
      if (outcome.credentialsGiven) {
        failures.asMap().computeIfAbsent(peer, k -> new Failures()).failed(System.currentTimeMillis());
      }
      count(outcome.reason);
      LOG.warn("Authentication failed from {} for {}: {}", peer, what, outcome.logMessage);
      return null;
    }
    if (f != null) {
      failures.invalidate(peer);
    }
    return outcome.principal;
  }

  /** Calls per principal: made, running now, refused for too many running (for stats). */
  public Map<String, Map<String, Long>> usage() {
    Map<String, Map<String, Long>> out = new java.util.TreeMap<>();
    usage.forEach((name, u) -> out.put(name, Map.of("calls", u.calls.sum(), "running", (long) u.running.get(), "refused", u.refused.sum())));
    return out;
  }

  private static final class Usage {
    final java.util.concurrent.atomic.LongAdder calls = new java.util.concurrent.atomic.LongAdder();
    final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();
  }

  /** Whether authenticating a call with {@code headers} checks a password (Basic), which is slow on purpose. */
  public static boolean checksPassword(Metadata headers) {
    String header = headers.get(AUTHORIZATION);
    return header != null && header.regionMatches(true, 0, "Basic ", 0, 6);
  }

  private Outcome fromHeader(String header, boolean issueSession) {
    if (header.length() > MAX_HEADER) {
      return Outcome.failed("malformed", "Malformed authorization header (longer than " + MAX_HEADER + " characters); " + schemes, "header too long");
    }
    int space = header.indexOf(' ');
    String scheme = space < 0 ? header : header.substring(0, space);
    String value = space < 0 ? "" : header.substring(space + 1).trim();
    if (scheme.equalsIgnoreCase("Bearer") && !value.isEmpty()) {
      String hash = Secrets.tokenHash(value);
      Principal p = byTokenHash.get(hash);
      if (p == null) {
        p = sessions.get(hash);
      }
      return p != null ? Outcome.ok(p, null)
          : Outcome.failed("unknown-token", "Unknown or expired bearer token; " + schemes, "unknown or expired bearer token");
    }
    if (scheme.equalsIgnoreCase("Basic") && !value.isEmpty()) {
      char[] decoded = decodeBasic(value);
      if (decoded == null) {
        return Outcome.failed("malformed", "Malformed authorization header: Basic needs base64 of user:password; " + schemes, "malformed Basic value");
      }
      try {
        int colon = indexOf(decoded, ':');
        if (colon < 0) {
          return Outcome.failed("malformed", "Malformed authorization header: Basic needs base64 of user:password; " + schemes, "Basic value without a colon");
        }
        String user = new String(decoded, 0, colon);
        char[] password = Arrays.copyOfRange(decoded, colon + 1, decoded.length);
        try {
          AuthConfig.Principal p = byName.get(user);
          // an unknown user costs the same hash as a known one, so timing does not tell names apart
          String stored = p != null && p.passwordHash().isPresent() ? p.passwordHash().get() : Dummy.HASH;
          boolean ok = Secrets.passwordMatches(stored, password) && p != null && p.passwordHash().isPresent();
          if (!ok) {
            return Outcome.failed("bad-password", "Wrong user name or password; " + schemes, "wrong user name or password for user \"" + printable(user) + "\"");
          }
          Principal principal = principals.get(user);
          if (!issueSession) {
            return Outcome.ok(principal, null);
          }
          String session = Secrets.newToken();
          sessions.add(Secrets.tokenHash(session), principal);
          return Outcome.ok(principal, session);
        } finally {
          Arrays.fill(password, '\0');
        }
      } finally {
        Arrays.fill(decoded, '\0');
      }
    }
    if ((scheme.equalsIgnoreCase("Bearer") || scheme.equalsIgnoreCase("Basic")) && value.isEmpty()) {
      return Outcome.failed("malformed", "Malformed authorization header: " + scheme + " with nothing after it; " + schemes,
          "empty " + scheme + " credentials");
    }
    return Outcome.failed("malformed", "Malformed authorization header: expected Bearer or Basic; " + schemes, "unsupported authorization scheme");
  }

  private Outcome fromCertificate(SSLSession ssl) {
    if (ssl != null) {
      try {
        Certificate[] chain = ssl.getPeerCertificates();
        if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
          String subject = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253);
          Principal p = bySubject.get(AuthConfig.canonicalSubject(subject));
          if (p != null) {
            return Outcome.ok(p, null);
          }
          return Outcome.failed("unknown-certificate", "Client certificate " + subject + " is not mapped to a principal; " + schemes,
              "client certificate " + subject + " is not mapped to a principal");
        }
      } catch (SSLPeerUnverifiedException e) {
        // no client certificate: fall through
      }
    }
    Outcome o = Outcome.failed("missing", "Authentication required: " + schemes, "no credentials");
    o.credentialsGiven = false;
    return o;
  }

  private void count(String reason) {
    failureCounts.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
  }

  private void refusedCall(ServerCall<?, ?> call) {
    if (call.getMethodDescriptor().getBareMethodName().equals("DoPut")) {
      onRefusedPut.run();
    }
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String message) {
    return refuse(call, Status.UNAUTHENTICATED, message);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status, String message) {
    call.close(status.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  private static char[] decodeBasic(String value) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
    try {
      CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes));
      char[] out = new char[chars.remaining()];
      chars.get(out);
      return out;
    } catch (CharacterCodingException e) {
      return null;
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private static int indexOf(char[] chars, char c) {
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static String printable(String s) {
    String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }

  private static String peerAddress(SocketAddress a) {
    return a instanceof InetSocketAddress i && i.getAddress() != null ? i.getAddress().getHostAddress() : String.valueOf(a);
  }

  /** A hash no password matches, checked for unknown users so they take as long as known ones (made when first needed). */
  private static final class Dummy {
    static final String HASH = Secrets.passwordHash("no such user".toCharArray(), Secrets.PASSWORD_ITERATIONS);
  }

  /** What authenticating one call came to. */
  private static final class Outcome {
    Principal principal;
    String sessionToken;
    String reason;
    String clientMessage;
    String logMessage;
    boolean credentialsGiven = true;

    static Outcome ok(Principal p, String session) {
      Outcome o = new Outcome();
      o.principal = p;
      o.sessionToken = session;
      return o;
    }

    static Outcome failed(String reason, String clientMessage, String logMessage) {
      Outcome o = new Outcome();
      o.reason = reason;
      o.clientMessage = clientMessage;
      o.logMessage = logMessage;
      return o;
    }
  }

  /**
   * Session tokens handed out by Basic calls, by their hash: at most {@code max}, the oldest dropped
   * first when a new one would exceed that, each valid for {@code lifetime} from when it was made.
   */
  private static final class Sessions {
    private record Session(Principal principal, long expiresAt) {}

    private final long lifetimeMillis;
    private final int max;
    private final java.util.LinkedHashMap<String, Session> byHash = new java.util.LinkedHashMap<>();

    Sessions(java.time.Duration lifetime, int max) {
      this.lifetimeMillis = lifetime.toMillis();
      this.max = max;
    }

    synchronized void add(String hash, Principal p) {
      long now = System.currentTimeMillis();
      byHash.values().removeIf(s -> s.expiresAt() <= now);
      byHash.put(hash, new Session(p, now + lifetimeMillis));
      while (byHash.size() > max) {
        byHash.remove(byHash.keySet().iterator().next());
      }
    }

    synchronized Principal get(String hash) {
      Session s = byHash.get(hash);
      if (s == null) {
        return null;
      }
      if (s.expiresAt() <= System.currentTimeMillis()) {
        byHash.remove(hash);
        return null;
      }
      return s.principal();
    }

    synchronized int size() {
      long now = System.currentTimeMillis();
      byHash.values().removeIf(s -> s.expiresAt() <= now);
      return byHash.size();
    }
  }

  /** Failed attempts from one address, and until when it is refused. */
  private static final class Failures {
    private int count;
    private long blockedUntil;

    synchronized void failed(long now) {
      count++;
      if (count >= FREE_FAILURES) {
        blockedUntil = now + Math.min(MAX_BLOCK_MILLIS, 1000L << Math.min(16, count - FREE_FAILURES));
      }
    }

    synchronized long blockedFor(long now) {
      return Math.max(0, blockedUntil - now);
    }
  }
}
