package dev.hangar.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code cluster:} section: this node is one of several that share the durable stores and an
 * etcd cluster. Absent, the node is alone, exactly as before.
 *
 * @param name the cluster's name; every key the nodes write in etcd lives under {@code /hangar/<name>/}
 * @param nodeId this node's id, unique in the cluster and stable across restarts (placement hashes it)
 * @param etcd the etcd endpoints, e.g. {@code http://10.0.0.5:2379}, or {@code https://} ones for etcd over TLS
 * @param advertise the Flight location other nodes and clients reach this node at, e.g.
 *     {@code grpc://10.0.0.7:8815}; empty: the scheme, host and bound port of {@code server}
 * @param token the secret nodes present to each other ({@code x-hangar-cluster-token}); calls that
 *     carry it run as the cluster principal
 * @param leaseTtl how long etcd keeps a node's membership after its last heartbeat: a node that dies
 *     leaves the placement this long after
 * @param peerTimeout how long a call from one node to another may take before the caller gives up on
 *     that node (a put's replication, a forwarded read's first answer)
 * @param rebalanceRate bytes per second a node sends to others when membership changes (copies for
 *     new owners, lost replicas re-made)
 * @param peerCa the CA (PEM) that signed the other nodes' server certificates, when they serve
 *     {@code grpc+tls}; empty: the JVM's default trust store. Under mutual TLS a node presents its own
 *     {@code server.tls} certificate to the others, so it must be one their {@code clientCa} trusts.
 * @param etcdTls how a node reaches etcd over TLS (only with {@code https://} endpoints); empty: the JVM's
 *     trust store and no client certificate
 * @param etcdLogin the etcd user and password, when etcd's authentication is enabled; empty: none
 */
public record ClusterConfig(String name, String nodeId, List<String> etcd, Optional<String> advertise, String token,
    Duration leaseTtl, Duration peerTimeout, long rebalanceRate, Optional<Path> peerCa, Optional<EtcdTls> etcdTls,
    Optional<EtcdLogin> etcdLogin) {
  public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_PEER_TIMEOUT = Duration.ofSeconds(30);
  public static final long DEFAULT_REBALANCE_RATE = 64L << 20;
  /** The shortest cluster token accepted: it is the only thing between a network peer and admin rights. */
  public static final int MIN_TOKEN_LENGTH = 16;

  public ClusterConfig {
    Checks.check(name != null && !name.isBlank(), "cluster.name must not be empty");
    Checks.check(nodeId != null && !nodeId.isBlank(), "cluster.nodeId must not be empty");
    Checks.check(etcd != null && !etcd.isEmpty(), "cluster.etcd needs at least one endpoint");
    Checks.check(advertise != null, "cluster.advertise must not be null (use Optional.empty())");
    Checks.check(token != null && token.length() >= MIN_TOKEN_LENGTH, "cluster.token must have at least %s characters", MIN_TOKEN_LENGTH);
    Checks.check(leaseTtl.toSeconds() >= 1, "cluster.leaseTtl must be at least 1s");
    Checks.check(peerTimeout.toMillis() > 0, "cluster.peerTimeout must be positive");
    Checks.check(rebalanceRate > 0, "cluster.rebalanceRate must be positive");
    Checks.check(peerCa != null, "cluster.peerCa must not be null (use Optional.empty())");
    Checks.check(etcdTls != null, "cluster.etcdTls must not be null (use Optional.empty())");
    Checks.check(etcdLogin != null, "cluster.etcdUser must not be null (use Optional.empty())");
    etcd = List.copyOf(etcd);
    boolean https = etcd.get(0).startsWith("https://");
    for (String e : etcd) {
      Checks.check(e.startsWith("https://") == https, "cluster.etcd mixes http:// and https:// endpoints");
    }
    Checks.check(https || etcdTls.isEmpty(), "cluster.etcdTls needs https:// etcd endpoints");
  }

  /** Whether the nodes reach etcd over TLS ({@code https://} endpoints). */
  public boolean etcdOverTls() {
    return etcd.get(0).startsWith("https://");
  }

  /** The section without its secrets (the token and the etcd password), for logs. */
  @Override
  public String toString() {
    return "ClusterConfig[name=" + name + ", nodeId=" + nodeId + ", etcd=" + etcd + ", advertise=" + advertise + ", token=***, leaseTtl="
        + leaseTtl + ", peerTimeout=" + peerTimeout + ", rebalanceRate=" + rebalanceRate + ", peerCa=" + peerCa + ", etcdTls=" + etcdTls
        + ", etcdLogin=" + etcdLogin + "]";
  }

  /**
   * TLS to etcd ({@code cluster.etcdTls}).
   *
   * @param ca the CA (PEM) that signed etcd's server certificates; empty: the JVM's trust store
   * @param cert the certificate chain (PEM) the node presents to etcd, for etcd's
   *     {@code --client-cert-auth}; given with {@code key} or not at all
   * @param key its private key (PEM, PKCS#8 or PKCS#1)
   */
  public record EtcdTls(Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {
    public EtcdTls {
      Checks.check(ca != null && cert != null && key != null, "cluster.etcdTls paths must not be null (use Optional.empty())");
      Checks.check(cert.isPresent() == key.isPresent(), "cluster.etcdTls needs cert and key together");
    }
  }

  /** An etcd user ({@code cluster.etcdUser}, {@code cluster.etcdPassword}); the password never shows in {@link #toString}. */
  public record EtcdLogin(String user, String password) {
    public EtcdLogin {
      Checks.check(user != null && !user.isEmpty(), "cluster.etcdUser must not be empty");
      Checks.check(password != null, "cluster.etcdPassword must not be null");
    }

    @Override
    public String toString() {
      return "EtcdLogin[user=" + user + ", password=***]";
    }
  }
}
