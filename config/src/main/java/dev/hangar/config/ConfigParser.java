package dev.hangar.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Turns YAML text into a {@link HangarConfig}, collecting every mistake instead of stopping at the
 * first. Each error names the YAML path, the value and what would be valid.
 *
 * <p>Parsing works on SnakeYAML's plain tree (maps, lists, scalars) with a safe constructor; a
 * section that has errors yields {@code null} and the checks that depend on it are skipped, so one
 * mistake is reported once.
 */
final class ConfigParser {
  private static final Pattern ENV = Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private static final Set<String> TOP_KEYS =
      keys("server", "storage", "durableStores", "storageClasses", "limitPolicies", "sql", "auth", "cluster");
  private static final Set<String> CLUSTER_KEYS =
      keys("name", "nodeId", "etcd", "advertise", "token", "leaseTtl", "peerTimeout", "rebalanceRate", "peerCa", "etcdTls",
          "etcdUser", "etcdPassword");
  private static final Set<String> ETCD_TLS_KEYS = keys("ca", "cert", "key");
  private static final Set<String> PLACEMENT_KEYS = keys("segments");
  private static final Set<String> SQL_KEYS =
      keys("enabled", "threads", "memoryLimit", "queryTimeout", "maxConcurrentQueries", "maxQueuedQueries", "queueTimeout",
          "idleTimeout", "resultGrace");
  private static final Set<String> SERVER_KEYS = keys("host", "port", "idempotencyWindow", "tls", "maxMessageSize", "http");
  private static final Set<String> HTTP_KEYS = keys("host", "port");
  private static final Set<String> TLS_KEYS = keys("cert", "key", "clientCa", "clientAuth");
  private static final Set<String> AUTH_KEYS = keys("principals", "sessionLifetime", "maxSessions", "maxCallsPerPrincipal");
  private static final Set<String> PRINCIPAL_KEYS = keys("name", "tokens", "password", "certificate", "grants");
  private static final Set<String> GRANT_KEYS = keys("prefix", "access");
  private static final Set<String> STORAGE_KEYS = keys("memory", "disk_mapped", "disk");
  private static final Set<String> MEMORY_KEYS = keys("capacity");
  private static final Set<String> DISK_KEYS = keys("path", "capacity");
  private static final Set<String> S3_KEYS =
      keys("id", "type", "bucket", "endpoint", "region", "pathStyle", "credentials", "writers", "weakQueue", "partSize",
          "timeout");
  private static final Set<String> FS_KEYS = keys("id", "type", "path", "writers", "weakQueue");
  private static final Set<String> CREDENTIAL_KEYS = keys("accessKeyId", "secretAccessKey");
  private static final Set<String> CLASS_KEYS =
      keys("prefix", "durability", "durableStore", "durablePrefix", "ttl", "replicas", "placement", "tiers");
  private static final Set<String> TIER_KEYS =
      keys(
          "storage",
          "maxFlightSize",
          "uploadSpill",
          "priority",
          "evictionSpill",
          "moveAfter",
          "promoteAfter");
  private static final Set<String> PROMOTE_KEYS = keys("accesses", "within");
  private static final Set<String> LIMIT_KEYS = keys("ephemeral", "total", "flights");
  private static final Set<String> STANDARD_KEYS = union(keys("type", "storageClasses"), LIMIT_KEYS);
  private static final Set<String> SEGMENTED_KEYS =
      union(keys("type", "storageClasses", "segment"), LIMIT_KEYS);
  private static final Set<String> HIERARCHICAL_KEYS =
      keys("type", "storageClasses", "levels", "default", "overrides");
  private static final Set<String> NODE_KEYS = union(LIMIT_KEYS, keys("children"));

  private final String source;
  private final Map<String, String> env;
  private final List<String> errors = new ArrayList<>();
  /** Storage types written under storage, valid or not: tiers naming them get no second error. */
  private final Set<StorageType> declaredTypes = java.util.EnumSet.noneOf(StorageType.class);

  ConfigParser(String source, Map<String, String> env) {
    this.source = source;
    this.env = env;
  }

  HangarConfig parse(String yaml) {
    Object root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      options.setMaxAliasesForCollections(20);
      root = new Yaml(new SafeConstructor(options)).load(yaml);
    } catch (YAMLException e) {
      throw new ConfigException(source, List.of("not valid YAML: " + oneLine(e.getMessage())));
    }
    if (root == null) {
      throw new ConfigException(source, List.of("the config is empty (it needs at least storage and storageClasses)"));
    }
    Map<String, Object> top = mapping("(top level)", "", root, TOP_KEYS);
    if (top == null) {
      throw new ConfigException(source, errors);
    }
    ServerConfig server = server(top.get("server"));
    StorageConfig storage = storage(top.get("storage"));
    List<DurableStoreConfig> stores = durableStores(top.get("durableStores"));
    List<StorageClassConfig> classes = storageClasses(top.get("storageClasses"), storage, stores);
    List<LimitPolicyConfig> policies = limitPolicies(top.get("limitPolicies"), classes);
    SqlConfig sql = sql(top.get("sql"));
    AuthConfig auth = auth(top.get("auth"));
    Optional<ClusterConfig> cluster = top.get("cluster") == null ? Optional.empty() : Optional.ofNullable(cluster(top.get("cluster")));
    if (top.get("cluster") == null) {
      for (int i = 0; i < classes.size(); i++) {
        if (classes.get(i).replicas() > 1) {
          error("storageClasses[" + i + "].replicas", classes.get(i).replicas() + " copies need a cluster (add a cluster: section"
              + " with etcd and the other nodes, or use replicas: 1)");
        }
      }
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(source, errors);
    }
    return new HangarConfig(server, storage, stores, classes, policies, sql, auth, cluster);
  }

  // ---- sections -------------------------------------------------------------------------

  private ServerConfig server(Object value) {
    if (value == null) {
      return new ServerConfig(ServerConfig.DEFAULT_HOST, ServerConfig.DEFAULT_PORT);
    }
    Map<String, Object> m = mapping("server", "server", value, SERVER_KEYS);
    if (m == null) {
      return new ServerConfig(ServerConfig.DEFAULT_HOST, ServerConfig.DEFAULT_PORT);
    }
    String host = optionalString("server.host", m.get("host")).orElse(ServerConfig.DEFAULT_HOST);
    if (host.isBlank()) {
      error("server.host", "must not be empty");
      host = ServerConfig.DEFAULT_HOST;
    }
    int port = integer("server.port", m.get("port"), 0, 65535, ServerConfig.DEFAULT_PORT);
    Duration window = positiveDuration("server.idempotencyWindow", m.get("idempotencyWindow"), ServerConfig.DEFAULT_IDEMPOTENCY_WINDOW);
    Optional<TlsConfig> tls = m.get("tls") == null ? Optional.empty() : Optional.ofNullable(tls(m.get("tls")));
    long maxMessage = optionalSize("server.maxMessageSize", m.get("maxMessageSize")).orElse(ServerConfig.DEFAULT_MAX_MESSAGE_SIZE);
    if (maxMessage < (1 << 20) || maxMessage > Integer.MAX_VALUE) {
      error("server.maxMessageSize", Sizes.format(maxMessage) + " is out of range (use 1MiB..2GiB)");
      maxMessage = ServerConfig.DEFAULT_MAX_MESSAGE_SIZE;
    }
    Optional<HttpConfig> http = Optional.empty();
    if (m.get("http") != null) {
      Map<String, Object> h = mapping("server.http", "server.http", m.get("http"), HTTP_KEYS);
      if (h != null) {
        String httpHost = optionalString("server.http.host", h.get("host")).orElse(host);
        int httpPort = integer("server.http.port", h.get("port"), 0, 65535, 8816);
        if (httpHost.isBlank()) {
          error("server.http.host", "must not be empty");
        } else if (httpPort != 0 && httpPort == port && httpHost.equals(host)) {
          error("server.http.port", httpPort + " is the Flight port too; give the operations port its own");
        } else {
          http = Optional.of(new HttpConfig(httpHost, httpPort));
        }
      }
    }
    return new ServerConfig(host, port, window, tls, maxMessage, http);
  }

  private TlsConfig tls(Object value) {
    Map<String, Object> m = mapping("server.tls", "server.tls", value, TLS_KEYS);
    if (m == null) {
      return null;
    }
    Optional<Path> cert = requiredPath("server.tls.cert", m.get("cert"));
    Optional<Path> key = requiredPath("server.tls.key", m.get("key"));
    Optional<Path> ca = m.get("clientCa") == null ? Optional.empty() : requiredPath("server.tls.clientCa", m.get("clientCa"));
    TlsConfig.ClientAuth clientAuth = enumValue("server.tls.clientAuth", m.get("clientAuth"), TlsConfig.ClientAuth.class,
        ca.isPresent() ? TlsConfig.ClientAuth.REQUIRE : TlsConfig.ClientAuth.NONE);
    if (clientAuth == TlsConfig.ClientAuth.NONE && ca.isPresent()) {
      error("server.tls.clientAuth", "is none, but server.tls.clientCa is given (use require or optional, or drop clientCa)");
      return null;
    }
    if (clientAuth != null && clientAuth != TlsConfig.ClientAuth.NONE && ca.isEmpty()) {
      error("server.tls.clientCa", "is required for clientAuth " + clientAuth.name().toLowerCase(Locale.ROOT) + " (the CA that signs client certificates)");
      return null;
    }
    if (cert.isEmpty() || key.isEmpty() || clientAuth == null) {
      return null;
    }
    return new TlsConfig(cert.get(), key.get(), ca, clientAuth);
  }

  private ClusterConfig cluster(Object value) {
    Map<String, Object> m = mapping("cluster", "cluster", value, CLUSTER_KEYS);
    if (m == null) {
      return null;
    }
    int before = errors.size();
    String name = optionalString("cluster.name", m.get("name")).orElse("hangar");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      error("cluster.name", quote(name) + " is not a valid name (letters, digits, '.', '_', '-'; at most 63)");
    }
    String nodeId = requiredString("cluster.nodeId", m.get("nodeId"));
    if (nodeId != null && !nodeId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      error("cluster.nodeId", quote(nodeId) + " is not a valid node id (letters, digits, '.', '_', '-'; at most 63)");
    }
    List<String> etcd = new ArrayList<>();
    List<Object> items = list("cluster.etcd", m.get("etcd"));
    if (items.isEmpty()) {
      error("cluster.etcd", "needs at least one etcd endpoint (e.g. etcd: [http://127.0.0.1:2379])");
    }
    for (int i = 0; i < items.size(); i++) {
      String url = requiredString("cluster.etcd[" + i + "]", items.get(i));
      if (url != null && !url.matches("https?://[^/\\s]+(:\\d+)?/?")) {
        error("cluster.etcd[" + i + "]", quote(url) + " is not an etcd endpoint (use http://host:port, or https://host:port for TLS)");
      } else if (url != null) {
        etcd.add(url);
      }
    }
    Optional<String> advertise = optionalString("cluster.advertise", m.get("advertise"));
    if (advertise.isPresent() && !advertise.get().matches("grpc(\\+tcp|\\+tls)?://[^/\\s]+:\\d+")) {
      error("cluster.advertise", quote(advertise.get()) + " is not a Flight location (use grpc://host:port or grpc+tls://host:port)");
    }
    String token = requiredString("cluster.token", m.get("token"));
    if (token != null && token.length() < ClusterConfig.MIN_TOKEN_LENGTH) {
      error("cluster.token", "has " + token.length() + " characters; use at least " + ClusterConfig.MIN_TOKEN_LENGTH
          + " (e.g. the output of: openssl rand -hex 32)");
    }
    Duration ttl = positiveDuration("cluster.leaseTtl", m.get("leaseTtl"), ClusterConfig.DEFAULT_LEASE_TTL);
    if (ttl.toSeconds() < 1) {
      error("cluster.leaseTtl", "must be at least 1s (etcd leases count whole seconds)");
    }
    Duration peerTimeout = positiveDuration("cluster.peerTimeout", m.get("peerTimeout"), ClusterConfig.DEFAULT_PEER_TIMEOUT);
    long rate = optionalSize("cluster.rebalanceRate", m.get("rebalanceRate")).orElse(ClusterConfig.DEFAULT_REBALANCE_RATE);
    if (rate <= 0) {
      error("cluster.rebalanceRate", "must be positive (bytes per second, e.g. 64MiB)");
    }
    Optional<Path> peerCa = m.get("peerCa") == null ? Optional.empty() : requiredPath("cluster.peerCa", m.get("peerCa"));
    long https = etcd.stream().filter(u -> u.startsWith("https://")).count();
    if (https != 0 && https != etcd.size()) {
      error("cluster.etcd", "mixes http:// and https:// endpoints; the nodes reach every etcd member the same way (use https:// for all, for TLS)");
    }
    Optional<ClusterConfig.EtcdTls> etcdTls = m.get("etcdTls") == null ? Optional.empty() : etcdTls(m.get("etcdTls"));
    if (etcdTls.isPresent() && https == 0 && !etcd.isEmpty()) {
      error("cluster.etcdTls", "is given, but the etcd endpoints are http://; TLS to etcd needs https:// endpoints");
    }
    Optional<String> etcdUser = optionalString("cluster.etcdUser", m.get("etcdUser"));
    Optional<String> etcdPassword = optionalString("cluster.etcdPassword", m.get("etcdPassword"));
    if (etcdUser.isPresent() != etcdPassword.isPresent()) {
      error(etcdUser.isPresent() ? "cluster.etcdPassword" : "cluster.etcdUser", "is required with "
          + (etcdUser.isPresent() ? "cluster.etcdUser" : "cluster.etcdPassword") + " (etcd's user and password go together;"
          + " keep the password out of the file with ${NAME})");
    } else if (etcdUser.isPresent() && etcdUser.get().isEmpty()) {
      error("cluster.etcdUser", "must not be empty");
    }
    if (errors.size() != before || nodeId == null || token == null) {
      return null;
    }
    Optional<ClusterConfig.EtcdLogin> etcdLogin = etcdUser.map(u -> new ClusterConfig.EtcdLogin(u, etcdPassword.get()));
    return new ClusterConfig(name, nodeId, etcd, advertise, token, ttl, peerTimeout, rate, peerCa, etcdTls, etcdLogin);
  }

  private Optional<ClusterConfig.EtcdTls> etcdTls(Object value) {
    Map<String, Object> m = mapping("cluster.etcdTls", "cluster.etcdTls", value, ETCD_TLS_KEYS);
    if (m == null) {
      return Optional.empty();
    }
    Optional<Path> ca = m.get("ca") == null ? Optional.empty() : requiredPath("cluster.etcdTls.ca", m.get("ca"));
    Optional<Path> cert = m.get("cert") == null ? Optional.empty() : requiredPath("cluster.etcdTls.cert", m.get("cert"));
    Optional<Path> key = m.get("key") == null ? Optional.empty() : requiredPath("cluster.etcdTls.key", m.get("key"));
    boolean withCert = m.get("cert") != null;
    if (withCert != (m.get("key") != null)) {
      error(withCert ? "cluster.etcdTls.key" : "cluster.etcdTls.cert", "is required with "
          + (withCert ? "cluster.etcdTls.cert" : "cluster.etcdTls.key") + " (the client certificate etcd checks and its key go together)");
      return Optional.empty();
    }
    if (cert.isPresent() != key.isPresent()) {
      return Optional.empty(); // one of them was blank: already reported
    }
    return Optional.of(new ClusterConfig.EtcdTls(ca, cert, key));
  }

  private AuthConfig auth(Object value) {
    if (value == null) {
      return AuthConfig.NONE;
    }
    Map<String, Object> m = mapping("auth", "auth", value, AUTH_KEYS);
    if (m == null) {
      return AuthConfig.NONE;
    }
    Duration lifetime = positiveDuration("auth.sessionLifetime", m.get("sessionLifetime"), AuthConfig.DEFAULT_SESSION_LIFETIME);
    int maxSessions = integer("auth.maxSessions", m.get("maxSessions"), 1, 10_000_000, AuthConfig.DEFAULT_MAX_SESSIONS);
    int maxCalls = integer("auth.maxCallsPerPrincipal", m.get("maxCallsPerPrincipal"), 1, 1_000_000, AuthConfig.DEFAULT_MAX_CALLS_PER_PRINCIPAL);
    List<Object> items = list("auth.principals", m.get("principals"));
    if (items.isEmpty() && !(m.get("principals") != null && !(m.get("principals") instanceof List<?>))) {
      error("auth.principals", "needs at least one principal (leave auth out for a node without authentication)");
    }
    List<AuthConfig.Principal> principals = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Map<String, String> tokenOwners = new HashMap<>();
    Map<String, String> subjectOwners = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String path = "auth.principals[" + i + "]";
      Map<String, Object> p = mapping(path, path, items.get(i), PRINCIPAL_KEYS);
      if (p == null) {
        continue;
      }
      String name = requiredString(path + ".name", p.get("name"));
      if (name != null && (name.isBlank() || name.equals(AuthConfig.ANONYMOUS))) {
        error(path + ".name", name.isBlank() ? "must not be empty" : quote(name) + " is reserved");
        name = null;
      } else if (name != null && !names.add(name)) {
        error(path + ".name", quote(name) + " is already used by another principal");
        name = null;
      }
      boolean ok = name != null;
      List<String> tokens = new ArrayList<>();
      List<Object> rawTokens = list(path + ".tokens", p.get("tokens"));
      for (int t = 0; t < rawTokens.size(); t++) {
        String tpath = path + ".tokens[" + t + "]";
        String hash = optionalString(tpath, rawTokens.get(t)).orElse(null);
        if (hash == null) {
          ok = false;
        } else if (!AuthConfig.TOKEN_HASH.matcher(hash).matches()) {
          error(tpath, "is not a token hash; store tokens as sha256:<64 hex digits>, never in plain text (run ./hangar hash-secret --token)");
          ok = false;
        } else if (tokenOwners.putIfAbsent(hash, path) != null) {
          error(tpath, "is also given to " + tokenOwners.get(hash) + " (a token identifies one principal)");
          ok = false;
        } else {
          tokens.add(hash);
        }
      }
      Optional<String> password = optionalString(path + ".password", p.get("password"));
      if (password.isPresent()) {
        java.util.regex.Matcher pm = AuthConfig.PASSWORD_HASH.matcher(password.get());
        if (!pm.matches()) {
          error(path + ".password", "is not a password hash; store passwords as pbkdf2-sha256:<iterations>:<salt>:<hash>,"
              + " never in plain text (run ./hangar hash-secret)");
          ok = false;
        } else if (Long.parseLong(pm.group(1)) < AuthConfig.MIN_PBKDF2_ITERATIONS) {
          error(path + ".password", "uses " + pm.group(1) + " PBKDF2 iterations; use at least " + AuthConfig.MIN_PBKDF2_ITERATIONS
              + " (./hangar hash-secret uses 600000)");
          ok = false;
        }
      }
      Optional<String> certificate = optionalString(path + ".certificate", p.get("certificate"));
      if (certificate.isPresent()) {
        try {
          String subject = AuthConfig.canonicalSubject(certificate.get());
          certificate = Optional.of(subject);
          if (subjectOwners.putIfAbsent(subject, path) != null) {
            error(path + ".certificate", quote(subject) + " is also mapped by " + subjectOwners.get(subject));
            ok = false;
          }
        } catch (IllegalArgumentException e) {
          error(path + ".certificate", quote(certificate.get()) + " is not a certificate subject (write it like CN=etl,O=Example)");
          ok = false;
        }
      }
      if (ok && tokens.isEmpty() && password.isEmpty() && certificate.isEmpty()) {
        error(path, "has no credentials (give tokens, a password or a certificate subject)");
        ok = false;
      }
      List<AuthConfig.Grant> grants = new ArrayList<>();
      List<Object> rawGrants = list(path + ".grants", p.get("grants"));
      for (int g = 0; g < rawGrants.size(); g++) {
        String gpath = path + ".grants[" + g + "]";
        Map<String, Object> gm = mapping(gpath, gpath, rawGrants.get(g), GRANT_KEYS);
        if (gm == null) {
          ok = false;
          continue;
        }
        String prefix = gm.get("prefix") == null ? null : optionalString(gpath + ".prefix", gm.get("prefix")).orElse(null);
        if (gm.get("prefix") == null) {
          error(gpath + ".prefix", "is required (\"\" grants every path)");
        }
        if (gm.get("access") == null) {
          error(gpath + ".access", "is required (use read, write or admin)");
        }
        AuthConfig.Access access = enumValue(gpath + ".access", gm.get("access"), AuthConfig.Access.class, null);
        if (prefix == null || access == null) {
          ok = false;
          continue;
        }
        grants.add(new AuthConfig.Grant(prefix, access));
      }
      if (ok) {
        principals.add(new AuthConfig.Principal(name, tokens, password, certificate, grants));
      }
    }
    if (!errors.isEmpty()) {
      return AuthConfig.NONE;
    }
    return new AuthConfig(principals, lifetime, maxSessions, maxCalls);
  }

  private SqlConfig sql(Object value) {
    SqlConfig d = SqlConfig.defaults();
    Map<String, Object> m = value == null ? null : mapping("sql", "sql", value, SQL_KEYS);
    if (m == null) {
      return d;
    }
    boolean enabled = bool("sql.enabled", m.get("enabled"), true);
    int threads = integer("sql.threads", m.get("threads"), 1, 1024, d.threads());
    long memory = optionalSize("sql.memoryLimit", m.get("memoryLimit")).orElse(d.memoryLimit());
    if (memory < 1 << 20) {
      error("sql.memoryLimit", Sizes.format(memory) + " is too small for DuckDB (use at least 1MiB, e.g. 2GiB)");
      memory = d.memoryLimit();
    }
    Duration queryTimeout = positiveDuration("sql.queryTimeout", m.get("queryTimeout"), d.queryTimeout());
    int concurrent = integer("sql.maxConcurrentQueries", m.get("maxConcurrentQueries"), 1, 1024, d.maxConcurrentQueries());
    int queued = integer("sql.maxQueuedQueries", m.get("maxQueuedQueries"), 0, 100_000, d.maxQueuedQueries());
    Duration queueTimeout = optionalDuration("sql.queueTimeout", m.get("queueTimeout")).orElse(d.queueTimeout());
    Duration idle = positiveDuration("sql.idleTimeout", m.get("idleTimeout"), d.idleTimeout());
    Duration grace = positiveDuration("sql.resultGrace", m.get("resultGrace"), d.resultGrace());
    return new SqlConfig(enabled, threads, memory, queryTimeout, concurrent, queued, queueTimeout, idle, grace);
  }

  private Duration positiveDuration(String path, Object value, Duration fallback) {
    Duration d = optionalDuration(path, value).orElse(fallback);
    if (d.isZero()) {
      error(path, "must be longer than 0 (e.g. 30s, 5m)");
      return fallback;
    }
    return d;
  }

  private StorageConfig storage(Object value) {
    EnumMap<StorageType, StorageTypeConfig> types = new EnumMap<>(StorageType.class);
    if (value == null) {
      error("storage", "is required (e.g. storage: {memory: {capacity: 1GiB}})");
      return null;
    }
    Map<String, Object> m = mapping("storage", "storage", value, STORAGE_KEYS);
    if (m == null) {
      return null;
    }
    if (m.isEmpty()) {
      error("storage", "names no storage type (use memory, disk_mapped or disk)");
      return null;
    }
    for (StorageType type : StorageType.values()) {
      Object v = m.get(type.key());
      if (v == null) {
        continue;
      }
      declaredTypes.add(type);
      String path = "storage." + type.key();
      Map<String, Object> t = mapping(path, path, v, type == StorageType.MEMORY ? MEMORY_KEYS : DISK_KEYS);
      if (t == null) {
        continue;
      }
      Long capacity = requiredSize(path + ".capacity", t.get("capacity"));
      Optional<Path> dir = Optional.empty();
      if (type != StorageType.MEMORY) {
        dir = requiredPath(path + ".path", t.get("path"));
        if (dir.isEmpty()) {
          continue;
        }
      }
      if (capacity != null) {
        if (capacity == 0) {
          error(path + ".capacity", "must be more than 0 (remove storage." + type.key() + " to go without it)");
        } else {
          types.put(type, new StorageTypeConfig(type, capacity, dir));
        }
      }
    }
    return new StorageConfig(types);
  }

  private List<DurableStoreConfig> durableStores(Object value) {
    List<DurableStoreConfig> stores = new ArrayList<>();
    List<Object> items = list("durableStores", value);
    Map<String, String> seen = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String path = "durableStores[" + i + "]";
      if (!(items.get(i) instanceof Map<?, ?> raw)) {
        error(path, "must be a mapping with id and type, got " + describe(items.get(i)));
        continue;
      }
      Optional<String> type = optionalString(path + ".type", raw.get("type"));
      if (type.isEmpty()) {
        error(path + ".type", "is required (use s3 or filesystem)");
        continue;
      }
      if (raw.get("id") instanceof String rawId) {
        String previous = seen.putIfAbsent(rawId, path);
        if (previous != null) {
          error(path + ".id", quote(rawId) + " is already used by " + previous + " (ids must be unique)");
          continue;
        }
      }
      DurableStoreConfig store =
          switch (type.get()) {
            case "s3" -> s3Store(path, raw);
            case "filesystem" -> filesystemStore(path, raw);
            default -> {
              error(path + ".type", quote(type.get()) + " is not a durable store type (use s3 or filesystem)");
              yield null;
            }
          };
      if (store != null) {
        stores.add(store);
      }
    }
    return stores;
  }

  private DurableStoreConfig s3Store(String path, Object raw) {
    Map<String, Object> m = mapping(path, path, raw, S3_KEYS);
    if (m == null) {
      return null;
    }
    String id = storeId(path, m);
    String bucket = requiredString(path + ".bucket", m.get("bucket"));
    Optional<URI> endpoint = Optional.empty();
    Optional<String> endpointText = optionalString(path + ".endpoint", m.get("endpoint"));
    if (endpointText.isPresent()) {
      try {
        URI uri = new URI(endpointText.get());
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
          throw new URISyntaxException(endpointText.get(), "not an http(s) URL with a host");
        }
        endpoint = Optional.of(uri);
      } catch (URISyntaxException e) {
        error(path + ".endpoint", quote(endpointText.get()) + " is not an http(s) URL (use e.g. http://127.0.0.1:9000)");
      }
    }
    Optional<String> region = optionalString(path + ".region", m.get("region"));
    boolean pathStyle = bool(path + ".pathStyle", m.get("pathStyle"), false);
    Optional<DurableStoreConfig.Credentials> credentials = Optional.empty();
    if (m.get("credentials") != null) {
      String cpath = path + ".credentials";
      Map<String, Object> c = mapping(cpath, cpath, m.get("credentials"), CREDENTIAL_KEYS);
      if (c != null) {
        String key = requiredString(cpath + ".accessKeyId", c.get("accessKeyId"));
        String secret = requiredString(cpath + ".secretAccessKey", c.get("secretAccessKey"));
        if (key != null && secret != null) {
          credentials = Optional.of(new DurableStoreConfig.Credentials(key, secret));
        }
      }
    }
    int writers = integer(path + ".writers", m.get("writers"), 1, 256, DurableStoreConfig.DEFAULT_WRITERS);
    int weakQueue = integer(path + ".weakQueue", m.get("weakQueue"), 1, 1_000_000, DurableStoreConfig.DEFAULT_WEAK_QUEUE);
    long partSize = optionalSize(path + ".partSize", m.get("partSize")).orElse(DurableStoreConfig.DEFAULT_PART_SIZE);
    if (partSize < DurableStoreConfig.MIN_PART_SIZE || partSize > (1L << 30)) {
      error(path + ".partSize", Sizes.format(partSize) + " is out of range (S3 parts are 5MiB..1GiB)");
    }
    Duration timeout = optionalDuration(path + ".timeout", m.get("timeout")).orElse(DurableStoreConfig.DEFAULT_TIMEOUT);
    if (timeout.compareTo(Duration.ofMillis(100)) < 0) {
      error(path + ".timeout", Durations.format(timeout) + " is too short (use at least 100ms)");
    }
    if (id == null || bucket == null) {
      return null;
    }
    return new DurableStoreConfig.S3(id, bucket, endpoint, region, pathStyle, credentials, writers, weakQueue, partSize, timeout);
  }

  private DurableStoreConfig filesystemStore(String path, Object raw) {
    Map<String, Object> m = mapping(path, path, raw, FS_KEYS);
    if (m == null) {
      return null;
    }
    String id = storeId(path, m);
    Optional<Path> dir = requiredPath(path + ".path", m.get("path"));
    int writers = integer(path + ".writers", m.get("writers"), 1, 256, DurableStoreConfig.DEFAULT_WRITERS);
    int weakQueue = integer(path + ".weakQueue", m.get("weakQueue"), 1, 1_000_000, DurableStoreConfig.DEFAULT_WEAK_QUEUE);
    if (id == null || dir.isEmpty()) {
      return null;
    }
    return new DurableStoreConfig.Filesystem(id, dir.get(), writers, weakQueue);
  }

  private String storeId(String path, Map<String, Object> m) {
    String id = requiredString(path + ".id", m.get("id"));
    if (id != null && id.isBlank()) {
      error(path + ".id", "must not be empty");
      return null;
    }
    return id;
  }

  private List<StorageClassConfig> storageClasses(
      Object value, StorageConfig storage, List<DurableStoreConfig> stores) {
    List<StorageClassConfig> classes = new ArrayList<>();
    if (value == null) {
      error("storageClasses", "is required (e.g. one class with prefix \"\" for every path)");
      return classes;
    }
    List<Object> items = list("storageClasses", value);
    if (items.isEmpty() && value instanceof List) {
      error("storageClasses", "is empty (add at least one class; prefix \"\" matches every path)");
    }
    Map<String, String> seenPrefixes = new HashMap<>();
    Set<String> storeIds = stores.stream().map(DurableStoreConfig::id).collect(Collectors.toCollection(TreeSet::new));
    for (int i = 0; i < items.size(); i++) {
      String path = "storageClasses[" + i + "]";
      Map<String, Object> m = mapping(path, path, items.get(i), CLASS_KEYS);
      if (m == null) {
        continue;
      }
      int before = errors.size();
      String prefix = requiredString(path + ".prefix", m.get("prefix"));
      if (prefix != null) {
        String previous = seenPrefixes.putIfAbsent(prefix, path);
        if (previous != null) {
          error(path + ".prefix", quote(prefix) + " is already the prefix of " + previous + " (prefixes must be unique)");
        }
      }
      Durability durability = enumValue(path + ".durability", m.get("durability"), Durability.class, Durability.NONE);
      Optional<String> store = optionalString(path + ".durableStore", m.get("durableStore"));
      if (store.isPresent() && !storeIds.contains(store.get())) {
        error(
            path + ".durableStore",
            quote(store.get()) + " is not a durable store"
                + (storeIds.isEmpty() ? " (durableStores is empty: define one there)" : " (defined: " + String.join(", ", storeIds) + ")"));
      } else if (durability != null && durability != Durability.NONE && store.isEmpty()) {
        error(
            path + ".durability",
            durability.key() + " needs a durableStore"
                + (storeIds.isEmpty() ? " (define one under durableStores and name it here)" : " (set durableStore to one of: " + String.join(", ", storeIds) + ")")
                + ", or use durability: none");
      } else if (durability == Durability.NONE && store.isPresent()) {
        error(
            path + ".durableStore",
            quote(store.get()) + " is set but durability is none, so nothing would be written there"
                + " (set durability: weak or strong, or remove durableStore)");
      }
      String durablePrefix = optionalString(path + ".durablePrefix", m.get("durablePrefix")).orElse("");
      Optional<Duration> ttl = optionalDuration(path + ".ttl", m.get("ttl"));
      int replicas = integer(path + ".replicas", m.get("replicas"), 1, 64, 1);
      int segments = 0;
      if (m.get("placement") != null) {
        Map<String, Object> placement = mapping(path + ".placement", path + ".placement", m.get("placement"), PLACEMENT_KEYS);
        if (placement != null) {
          segments = integer(path + ".placement.segments", placement.get("segments"), 1, 64, 0);
          if (placement.get("segments") == null) {
            error(path + ".placement.segments", "is required (the number of leading path segments flights are placed by, e.g. 2)");
          } else if (prefix != null && segments < prefix.split("/", -1).length - (prefix.endsWith("/") ? 1 : 0)) {
            error(path + ".placement.segments", segments + " is fewer segments than the prefix " + quote(prefix)
                + " has, so every flight of the class would share one set of owners (use more segments)");
          }
        }
      }
      List<TierConfig> tiers = tiers(path + ".tiers", m.get("tiers"), storage);
      if (errors.size() == before && prefix != null && durability != null) {
        classes.add(new StorageClassConfig(prefix, durability, store, durablePrefix, ttl, replicas, tiers, segments));
      }
    }
    return classes;
  }

  private List<TierConfig> tiers(String path, Object value, StorageConfig storage) {
    List<TierConfig> tiers = new ArrayList<>();
    if (value == null) {
      error(path, "is required (e.g. tiers: [{storage: memory}])");
      return tiers;
    }
    List<Object> items = list(path, value);
    if (items.isEmpty() && value instanceof List) {
      error(path, "is empty (a class needs at least one tier)");
    }
    Map<StorageType, String> seen = new EnumMap<>(StorageType.class);
    StorageType slowest = null;
    for (int i = 0; i < items.size(); i++) {
      String tpath = path + "[" + i + "]";
      Map<String, Object> m = mapping(tpath, tpath, items.get(i), TIER_KEYS);
      if (m == null) {
        continue;
      }
      StorageType type = storageType(tpath + ".storage", m.get("storage"), storage);
      if (type != null) {
        String previous = seen.putIfAbsent(type, tpath);
        if (previous != null) {
          error(tpath + ".storage", type.key() + " is already used by " + previous + " (each storage type at most once per class)");
          type = null;
        } else if (slowest != null && type.ordinal() < slowest.ordinal()) {
          error(tpath + ".storage", type.key() + " cannot come after " + slowest.key()
              + " (flights move down from faster to slower tiers: list them in the order memory, disk_mapped, disk)");
          type = null;
        } else {
          slowest = type;
        }
      }
      long max = optionalSize(tpath + ".maxFlightSize", m.get("maxFlightSize")).orElse(TierConfig.UNLIMITED);
      if (max == 0) {
        error(tpath + ".maxFlightSize", "must be more than 0");
      }
      UploadSpill spill = enumValue(tpath + ".uploadSpill", m.get("uploadSpill"), UploadSpill.class, UploadSpill.SPILL);
      int priority = integer(tpath + ".priority", m.get("priority"), -1_000_000, 1_000_000, 0);
      boolean evictionSpill = bool(tpath + ".evictionSpill", m.get("evictionSpill"), false);
      Optional<Duration> moveAfter = optionalDuration(tpath + ".moveAfter", m.get("moveAfter"));
      Optional<TierConfig.PromoteAfter> promote = promoteAfter(tpath + ".promoteAfter", m.get("promoteAfter"));
      if (type != null && spill != null && max > 0) {
        tiers.add(new TierConfig(type, max, spill, priority, evictionSpill, moveAfter, promote));
      }
    }
    return tiers;
  }

  private StorageType storageType(String path, Object value, StorageConfig storage) {
    String text = requiredString(path, value);
    if (text == null) {
      return null;
    }
    for (StorageType type : StorageType.values()) {
      if (type.key().equals(text)) {
        if (!declaredTypes.contains(type)) {
          String configured = declaredTypes.isEmpty() ? "none" : declaredTypes.stream().map(StorageType::key).collect(Collectors.joining(", "));
          error(path, type.key() + " is not configured under storage (configured: " + configured + "; add storage." + type.key() + " or use one of those)");
          return null;
        }
        return type;
      }
    }
    error(path, quote(text) + " is not a storage type (use memory, disk_mapped or disk)");
    return null;
  }

  private Optional<TierConfig.PromoteAfter> promoteAfter(String path, Object value) {
    if (value == null) {
      return Optional.empty();
    }
    Map<String, Object> m = mapping(path, path, value, PROMOTE_KEYS);
    if (m == null) {
      return Optional.empty();
    }
    if (m.get("accesses") == null) {
      error(path + ".accesses", "is required (e.g. promoteAfter: {accesses: 3, within: 1m})");
    }
    if (m.get("within") == null) {
      error(path + ".within", "is required (e.g. promoteAfter: {accesses: 3, within: 1m})");
    }
    int accesses = integer(path + ".accesses", m.get("accesses"), 1, Integer.MAX_VALUE, 0);
    Optional<Duration> within = optionalDuration(path + ".within", m.get("within"));
    if (within.isPresent() && within.get().isZero()) {
      error(path + ".within", "must be longer than 0");
      return Optional.empty();
    }
    if (accesses < 1 || within.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new TierConfig.PromoteAfter(accesses, within.get()));
  }

  private List<LimitPolicyConfig> limitPolicies(Object value, List<StorageClassConfig> classes) {
    List<LimitPolicyConfig> policies = new ArrayList<>();
    List<Object> items = list("limitPolicies", value);
    Set<String> prefixes = classes.stream().map(StorageClassConfig::prefix).collect(Collectors.toCollection(LinkedHashSet::new));
    for (int i = 0; i < items.size(); i++) {
      String path = "limitPolicies[" + i + "]";
      if (!(items.get(i) instanceof Map<?, ?> raw)) {
        error(path, "must be a mapping with a type, got " + describe(items.get(i)));
        continue;
      }
      Optional<String> type = optionalString(path + ".type", raw.get("type"));
      if (type.isEmpty()) {
        error(path + ".type", "is required (use standard, segmented or hierarchical)");
        continue;
      }
      int before = errors.size();
      LimitPolicyConfig policy =
          switch (type.get()) {
            case "standard" -> {
              Map<String, Object> m = mapping(path, path, raw, STANDARD_KEYS);
              if (m == null) {
                yield null;
              }
              List<String> cls = classRefs(path + ".storageClasses", m.get("storageClasses"), prefixes);
              LimitPolicyConfig.Limits limits = limits(path, m, true);
              yield new LimitPolicyConfig.Standard(cls, limits);
            }
            case "segmented" -> {
              Map<String, Object> m = mapping(path, path, raw, SEGMENTED_KEYS);
              if (m == null) {
                yield null;
              }
              List<String> cls = classRefs(path + ".storageClasses", m.get("storageClasses"), prefixes);
              if (m.get("segment") == null) {
                error(path + ".segment", "is required (1 = the first path segment after the class prefix)");
              }
              int segment = integer(path + ".segment", m.get("segment"), 1, 255, 1);
              LimitPolicyConfig.Limits limits = limits(path, m, true);
              yield new LimitPolicyConfig.Segmented(cls, segment, limits);
            }
            case "hierarchical" -> hierarchical(path, raw, prefixes);
            default -> {
              error(path + ".type", quote(type.get()) + " is not a limit policy type (use standard, segmented or hierarchical)");
              yield null;
            }
          };
      if (policy != null && errors.size() == before) {
        policies.add(policy);
      }
    }
    return policies;
  }

  private LimitPolicyConfig hierarchical(String path, Map<?, ?> raw, Set<String> prefixes) {
    Map<String, Object> m = mapping(path, path, raw, HIERARCHICAL_KEYS);
    if (m == null) {
      return null;
    }
    List<String> cls = classRefs(path + ".storageClasses", m.get("storageClasses"), prefixes);
    List<String> levels = new ArrayList<>();
    if (m.get("levels") == null) {
      error(path + ".levels", "is required (e.g. levels: [tenant, dataSource])");
    }
    List<Object> rawLevels = list(path + ".levels", m.get("levels"));
    for (int j = 0; j < rawLevels.size(); j++) {
      String name = requiredString(path + ".levels[" + j + "]", rawLevels.get(j));
      if (name != null) {
        if (levels.contains(name)) {
          error(path + ".levels[" + j + "]", quote(name) + " is listed twice");
        }
        levels.add(name);
      }
    }
    if (m.get("levels") != null && rawLevels.isEmpty() && m.get("levels") instanceof List) {
      error(path + ".levels", "is empty (name at least one level, e.g. [tenant])");
    }
    LimitPolicyConfig.Limits defaults = LimitPolicyConfig.Limits.NONE;
    if (m.get("default") != null) {
      Map<String, Object> d = mapping(path + ".default", path + ".default", m.get("default"), LIMIT_KEYS);
      if (d != null) {
        defaults = limits(path + ".default", d, true);
      }
    }
    Map<String, LimitPolicyConfig.Node> overrides = Map.of();
    if (m.get("overrides") != null) {
      overrides = nodes(path + ".overrides", m.get("overrides"), 1, levels.size());
    }
    if (defaults.isEmpty() && overrides.isEmpty()) {
      error(path, "sets no limit (give default and/or overrides, e.g. default: {total: 5GiB})");
    }
    return new LimitPolicyConfig.Hierarchical(cls, levels, defaults, overrides);
  }

  private Map<String, LimitPolicyConfig.Node> nodes(String path, Object value, int depth, int maxDepth) {
    if (!(value instanceof Map<?, ?> raw)) {
      error(path, "must be a mapping of values to limits, got " + describe(value));
      return Map.of();
    }
    Map<String, LimitPolicyConfig.Node> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : raw.entrySet()) {
      String name = String.valueOf(e.getKey());
      String npath = path + "." + name;
      if (depth > maxDepth) {
        error(npath, "is deeper than the " + maxDepth + " level(s) named in levels");
        continue;
      }
      Map<String, Object> m = mapping(npath, npath, e.getValue(), NODE_KEYS);
      if (m == null) {
        continue;
      }
      LimitPolicyConfig.Limits limits = limits(npath, m, false);
      Map<String, LimitPolicyConfig.Node> children = Map.of();
      if (m.get("children") != null) {
        children = nodes(npath + ".children", m.get("children"), depth + 1, maxDepth);
      }
      if (m.isEmpty()) {
        error(npath, "sets no limit (give ephemeral, total, flights or children)");
      }
      out.put(name, new LimitPolicyConfig.Node(limits, Map.copyOf(children)));
    }
    return Map.copyOf(out);
  }

  private LimitPolicyConfig.Limits limits(String path, Map<String, Object> m, boolean required) {
    OptionalLong ephemeral = toOptional(optionalSize(path + ".ephemeral", m.get("ephemeral")));
    OptionalLong total = toOptional(optionalSize(path + ".total", m.get("total")));
    OptionalLong flights = OptionalLong.empty();
    if (m.get("flights") != null) {
      flights = OptionalLong.of(integer(path + ".flights", m.get("flights"), 0, Integer.MAX_VALUE, 0));
    }
    LimitPolicyConfig.Limits limits = new LimitPolicyConfig.Limits(ephemeral, total, flights);
    if (required && limits.isEmpty() && m.keySet().stream().noneMatch(LIMIT_KEYS::contains)) {
      error(path, "sets no limit (give at least one of ephemeral, total, flights)");
    }
    return limits;
  }

  private List<String> classRefs(String path, Object value, Set<String> prefixes) {
    List<String> out = new ArrayList<>();
    if (value == null) {
      error(path, "is required (the prefixes of the storage classes this policy governs, e.g. [cache/])");
      return out;
    }
    List<Object> items = list(path, value);
    if (items.isEmpty() && value instanceof List) {
      error(path, "is empty (name at least one storage class prefix)");
    }
    for (int j = 0; j < items.size(); j++) {
      String p = requiredString(path + "[" + j + "]", items.get(j));
      if (p == null) {
        continue;
      }
      if (!prefixes.contains(p)) {
        error(
            path + "[" + j + "]",
            quote(p) + " is not the prefix of a storage class (classes: "
                + prefixes.stream().map(ConfigParser::quote).collect(Collectors.joining(", ")) + ")");
      } else {
        out.add(p);
      }
    }
    return out;
  }

  // ---- scalars --------------------------------------------------------------------------

  private Map<String, Object> mapping(String path, String keyPrefix, Object value, Set<String> allowed) {
    if (!(value instanceof Map<?, ?> raw)) {
      error(path, "must be a mapping (key: value), got " + describe(value));
      return null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : raw.entrySet()) {
      String key = String.valueOf(e.getKey());
      if (!allowed.contains(key)) {
        String where = keyPrefix.isEmpty() ? key : keyPrefix + "." + key;
        String hint = closest(key, allowed).map(k -> "did you mean " + k + "? ").orElse("");
        error(where, "is not a known key (" + hint + "valid here: " + String.join(", ", new TreeSet<>(allowed)) + ")");
        continue;
      }
      out.put(key, e.getValue());
    }
    return out;
  }

  private List<Object> list(String path, Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List<?> l)) {
      error(path, "must be a list, got " + describe(value));
      return List.of();
    }
    return new ArrayList<>(l);
  }

  private String requiredString(String path, Object value) {
    if (value == null) {
      error(path, "is required");
      return null;
    }
    return optionalString(path, value).orElse(null);
  }

  private Optional<String> optionalString(String path, Object value) {
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String s)) {
      error(path, "must be a string, got " + describe(value) + " (quote it: \"" + value + "\")");
      return Optional.empty();
    }
    return Optional.ofNullable(expand(path, s));
  }

  private Optional<Path> requiredPath(String path, Object value) {
    String text = requiredString(path, value);
    if (text == null) {
      return Optional.empty();
    }
    if (text.isBlank()) {
      error(path, "must not be empty");
      return Optional.empty();
    }
    try {
      return Optional.of(Path.of(text));
    } catch (InvalidPathException e) {
      error(path, quote(text) + " is not a valid path: " + e.getReason());
      return Optional.empty();
    }
  }

  private int integer(String path, Object value, int min, int max, int fallback) {
    if (value == null) {
      return fallback;
    }
    Object v = value;
    if (v instanceof String s) {
      String expanded = expand(path, s);
      if (expanded == null) {
        return fallback;
      }
      try {
        v = Long.parseLong(expanded.trim());
      } catch (NumberFormatException e) {
        error(path, quote(s) + " is not a whole number (use " + min + ".." + max + ")");
        return fallback;
      }
    }
    if (!(v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger)) {
      error(path, "must be a whole number " + min + ".." + max + ", got " + describe(value));
      return fallback;
    }
    java.math.BigInteger n = new java.math.BigInteger(v.toString());
    if (n.compareTo(java.math.BigInteger.valueOf(min)) < 0 || n.compareTo(java.math.BigInteger.valueOf(max)) > 0) {
      error(path, v + " is out of range (use " + min + ".." + max + ")");
      return fallback;
    }
    return n.intValue();
  }

  private boolean bool(String path, Object value, boolean fallback) {
    if (value == null) {
      return fallback;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof String s) {
      String expanded = expand(path, s);
      if ("true".equals(expanded) || "false".equals(expanded)) {
        return Boolean.parseBoolean(expanded);
      }
    }
    error(path, "must be true or false, got " + describe(value));
    return fallback;
  }

  private Long requiredSize(String path, Object value) {
    if (value == null) {
      error(path, "is required (e.g. 2GiB)");
      return null;
    }
    OptionalLong size = toOptional(optionalSize(path, value));
    return size.isPresent() ? size.getAsLong() : null;
  }

  private Optional<Long> optionalSize(String path, Object value) {
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Integer || value instanceof Long) {
      long n = ((Number) value).longValue();
      if (n < 0) {
        error(path, n + " is negative (a size is 0 or more bytes, e.g. 512, 64KiB, 2GiB)");
        return Optional.empty();
      }
      return Optional.of(n);
    }
    if (!(value instanceof String s)) {
      error(path, describe(value) + " is not a size (use bytes or a binary unit, e.g. 512, 64KiB, 256MiB, 2GiB, 1TiB)");
      return Optional.empty();
    }
    String text = expand(path, s);
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Sizes.parse(text));
    } catch (IllegalArgumentException e) {
      error(path, e.getMessage());
      return Optional.empty();
    }
  }

  private Optional<Duration> optionalDuration(String path, Object value) {
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String s)) {
      error(path, describe(value) + " is not a duration (use a whole number and a unit: 250ms, 30s, 15m, 2h, 7d)");
      return Optional.empty();
    }
    String text = expand(path, s);
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Durations.parse(text));
    } catch (IllegalArgumentException e) {
      error(path, e.getMessage());
      return Optional.empty();
    }
  }

  private <E extends Enum<E>> E enumValue(String path, Object value, Class<E> type, E fallback) {
    if (value == null) {
      return fallback;
    }
    String valid =
        java.util.Arrays.stream(type.getEnumConstants())
            .map(c -> c.name().toLowerCase(Locale.ROOT))
            .collect(Collectors.joining(", "));
    if (!(value instanceof String s)) {
      error(path, describe(value) + " is not valid (use " + valid + ")");
      return null;
    }
    String text = expand(path, s);
    if (text == null) {
      return null;
    }
    for (E c : type.getEnumConstants()) {
      if (c.name().toLowerCase(Locale.ROOT).equals(text)) {
        return c;
      }
    }
    error(path, quote(text) + " is not valid (use " + valid + ")");
    return null;
  }

  /** Expands {@code ${NAME}} and {@code ${NAME:-default}}; {@code $$} is a literal {@code $}. */
  private String expand(String path, String text) {
    if (text.indexOf('$') < 0) {
      return text;
    }
    Matcher m = ENV.matcher(text);
    StringBuilder out = new StringBuilder();
    boolean ok = true;
    while (m.find()) {
      String replacement;
      if (m.group().equals("$$")) {
        replacement = "$";
      } else {
        String v = env.get(m.group(1));
        if (v == null) {
          v = m.group(2);
        }
        if (v == null) {
          error(path, "environment variable " + m.group(1) + " is not set (export it, or write ${" + m.group(1) + ":-default})");
          ok = false;
          v = "";
        }
        replacement = v;
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return ok ? out.toString() : null;
  }

  // ---- helpers --------------------------------------------------------------------------

  private void error(String path, String message) {
    errors.add(path + ": " + message);
  }

  private static String describe(Object value) {
    if (value == null) {
      return "nothing";
    } else if (value instanceof Map) {
      return "a mapping";
    } else if (value instanceof List) {
      return "a list";
    } else if (value instanceof String s) {
      return "string " + quote(s);
    } else if (value instanceof Boolean b) {
      return "boolean " + b;
    } else if (value instanceof Number n) {
      return "number " + n;
    }
    return value.getClass().getSimpleName() + " " + value;
  }

  static String quote(String s) {
    return "\"" + s.replace("\"", "\\\"") + "\"";
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\n\\s*", " ").trim();
  }

  private static Optional<String> closest(String key, Set<String> allowed) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : allowed) {
      int d = distance(key.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return bestDistance <= Math.max(1, (key.length() + 1) / 3) ? Optional.ofNullable(best) : Optional.empty();
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private static OptionalLong toOptional(Optional<Long> v) {
    return v.map(OptionalLong::of).orElse(OptionalLong.empty());
  }

  private static Set<String> keys(String... names) {
    return Set.of(names);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> s = new java.util.HashSet<>(a);
    s.addAll(b);
    return Set.copyOf(s);
  }
}
