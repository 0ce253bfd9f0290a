package dev.hangar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConfigParserTest {
  private static final String MINIMAL =
      """
      storage:
        memory: {capacity: 64MiB}
      storageClasses:
        - prefix: ""
          tiers: [{storage: memory}]
      """;

  private static HangarConfig parse(String yaml) {
    return HangarConfig.parse(yaml, "test.yaml", Map.of("S3_KEY", "key", "S3_SECRET", "secret"));
  }

  /** The errors parsing {@code yaml} reports; fails if it parses. */
  private static List<String> errors(String yaml) {
    try {
      parse(yaml);
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith("Cannot use config test.yaml: ");
      return e.errors();
    }
    throw new AssertionError("expected the config to be rejected:\n" + yaml);
  }

  @Test
  void minimalConfigGetsDefaults() {
    HangarConfig c = parse(MINIMAL);
    assertThat(c.server()).isEqualTo(new ServerConfig("127.0.0.1", 8815));
    assertThat(c.storage().get(StorageType.MEMORY).orElseThrow().capacity()).isEqualTo(64L << 20);
    StorageClassConfig sc = c.storageClasses().get(0);
    assertThat(sc.prefix()).isEmpty();
    assertThat(sc.durability()).isEqualTo(Durability.NONE);
    assertThat(sc.tiers()).containsExactly(TierConfig.of(StorageType.MEMORY));
    assertThat(c.limitPolicies()).isEmpty();
  }

  @Test
  void embeddedDefaultHasMemoryFilesystemStoreAndCatchAllClass() {
    HangarConfig c = HangarConfig.defaults();
    assertThat(c.server().port()).isEqualTo(8815);
    assertThat(c.storage().types()).containsOnlyKeys(StorageType.MEMORY);
    assertThat(c.durableStores()).containsExactly(new DurableStoreConfig.Filesystem("local", Path.of("./hangar-data/durable")));
    assertThat(c.storageClasses()).extracting(StorageClassConfig::prefix).containsExactly("");
  }

  @Test
  void fullExampleParsesEveryKey() throws Exception {
    String yaml = Files.readString(Path.of("examples/hangar-full.yaml"));
    HangarConfig c = HangarConfig.parse(yaml, "hangar-full.yaml", Map.of());
    assertThat(c.storage().types()).containsOnlyKeys(StorageType.values());
    DurableStoreConfig.S3 s3 = (DurableStoreConfig.S3) c.durableStore("s3-main").orElseThrow();
    assertThat(s3.endpoint().orElseThrow().toString()).isEqualTo("http://127.0.0.1:9000");
    assertThat(s3.pathStyle()).isTrue();
    assertThat(s3.credentials().orElseThrow().accessKeyId()).isEqualTo("minioadmin");
    StorageClassConfig cache = c.storageClasses().get(0);
    assertThat(cache.durability()).isEqualTo(Durability.STRONG);
    assertThat(cache.ttl()).contains(Duration.ofDays(7));
    TierConfig memory = cache.tiers().get(0);
    assertThat(memory.maxFlightSize()).isEqualTo(256L << 20);
    assertThat(memory.priority()).isEqualTo(10);
    assertThat(memory.evictionSpill()).isTrue();
    assertThat(memory.moveAfter()).contains(Duration.ofMinutes(15));
    assertThat(memory.promoteAfter()).contains(new TierConfig.PromoteAfter(3, Duration.ofMinutes(1)));
    assertThat(c.storageClasses().get(1).tiers().get(0).uploadSpill()).isEqualTo(UploadSpill.REJECT);
    assertThat(c.limitPolicies()).hasSize(3);
    LimitPolicyConfig.Hierarchical h = (LimitPolicyConfig.Hierarchical) c.limitPolicies().get(2);
    assertThat(h.levels()).containsExactly("tenant", "dataSource");
    assertThat(h.defaults().total()).hasValue(5L << 30);
    LimitPolicyConfig.Node tenant1 = h.overrides().get("tenant1");
    assertThat(tenant1.limits().total()).hasValue(10L << 30);
    assertThat(tenant1.limits().flights()).hasValue(10000);
    assertThat(tenant1.children().get("dataSource1").limits().total()).hasValue(6L << 30);
    assertThat(((LimitPolicyConfig.Segmented) c.limitPolicies().get(1)).segment()).isEqualTo(1);
  }

  @Test
  void expandsEnvironmentVariablesWithDefaults() {
    HangarConfig c = parse(
        """
        server: {port: "${NO_SUCH_PORT:-9000}"}
        storage: {memory: {capacity: "${NO_SUCH_MEM:-2MiB}"}}
        durableStores:
          - {id: s3, type: s3, bucket: "b$$1", credentials: {accessKeyId: "${S3_KEY}", secretAccessKey: "${S3_SECRET}"}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        """);
    assertThat(c.server().port()).isEqualTo(9000);
    assertThat(c.storage().get(StorageType.MEMORY).orElseThrow().capacity()).isEqualTo(2L << 20);
    DurableStoreConfig.S3 s3 = (DurableStoreConfig.S3) c.durableStores().get(0);
    assertThat(s3.bucket()).isEqualTo("b$1");
    assertThat(s3.credentials().orElseThrow()).isEqualTo(new DurableStoreConfig.Credentials("key", "secret"));
    assertThat(s3.credentials().orElseThrow().toString()).doesNotContain("secret]").contains("***");
  }

  @Test
  void missingEnvironmentVariable() {
    assertThat(errors(MINIMAL.replace("64MiB", "\"${HANGAR_TEST_UNSET}\"")))
        .containsExactly("storage.memory.capacity: environment variable HANGAR_TEST_UNSET is not set (export it, or write ${HANGAR_TEST_UNSET:-default})");
  }

  @Test
  void unknownKeySuggestsTheClosestOne() {
    assertThat(errors(MINIMAL.replace("tiers:", "tires:")))
        .containsExactly(
            "storageClasses[0].tires: is not a known key (did you mean tiers? valid here: durability, durablePrefix, durableStore, placement, prefix, replicas, tiers, ttl)",
            "storageClasses[0].tiers: is required (e.g. tiers: [{storage: memory}])");
  }

  @Test
  void unknownTopLevelKey() {
    assertThat(errors(MINIMAL + "limits: []\n"))
        .containsExactly("limits: is not a known key (valid here: auth, cluster, durableStores, limitPolicies, server, sql, storage, storageClasses)");
  }

  @Test
  void wrongType() {
    assertThat(errors(MINIMAL + "server: {port: eighty}\n"))
        .containsExactly("server.port: \"eighty\" is not a whole number (use 0..65535)");
    assertThat(errors(MINIMAL + "server: {port: 70000}\n"))
        .containsExactly("server.port: 70000 is out of range (use 0..65535)");
    assertThat(errors(MINIMAL.replace("tiers: [{storage: memory}]", "tiers: [{storage: memory, evictionSpill: maybe}]")))
        .containsExactly("storageClasses[0].tiers[0].evictionSpill: must be true or false, got string \"maybe\"");
    assertThat(errors(MINIMAL.replace("tiers: [{storage: memory}]", "tiers: {storage: memory}")))
        .containsExactly("storageClasses[0].tiers: must be a list, got a mapping");
  }

  @Test
  void badSize() {
    assertThat(errors(MINIMAL.replace("tiers: [{storage: memory}]", "tiers: [{storage: memory, maxFlightSize: 12XB}]")))
        .containsExactly("storageClasses[0].tiers[0].maxFlightSize: \"12XB\" is not a size (use bytes or a binary unit, e.g. 512, 64KiB, 256MiB, 2GiB, 1TiB)");
    assertThat(errors(MINIMAL.replace("64MiB", "-5")))
        .containsExactly("storage.memory.capacity: -5 is negative (a size is 0 or more bytes, e.g. 512, 64KiB, 2GiB)");
  }

  @Test
  void badDuration() {
    assertThat(errors(MINIMAL.replace("prefix: \"\"", "prefix: \"\"\n    ttl: 7 days")))
        .containsExactly("storageClasses[0].ttl: \"7 days\" is not a duration (use a whole number and a unit: 250ms, 30s, 15m, 2h, 7d)");
    assertThat(errors(MINIMAL.replace("prefix: \"\"", "prefix: \"\"\n    ttl: 60")))
        .containsExactly("storageClasses[0].ttl: number 60 is not a duration (use a whole number and a unit: 250ms, 30s, 15m, 2h, 7d)");
  }

  @Test
  void duplicatePrefix() {
    assertThat(errors(MINIMAL + "  - prefix: \"\"\n    tiers: [{storage: memory}]\n"))
        .containsExactly("storageClasses[1].prefix: \"\" is already the prefix of storageClasses[0] (prefixes must be unique)");
  }

  @Test
  void tierNamingUnconfiguredStorageType() {
    assertThat(errors(MINIMAL.replace("tiers: [{storage: memory}]", "tiers: [{storage: memory}, {storage: disk_mapped}]")))
        .containsExactly("storageClasses[0].tiers[1].storage: disk_mapped is not configured under storage (configured: memory; add storage.disk_mapped or use one of those)");
    assertThat(errors(MINIMAL.replace("tiers: [{storage: memory}]", "tiers: [{storage: ssd}]")))
        .containsExactly("storageClasses[0].tiers[0].storage: \"ssd\" is not a storage type (use memory, disk_mapped or disk)");
  }

  @Test
  void classNamingMissingDurableStore() {
    assertThat(errors(MINIMAL.replace("prefix: \"\"", "prefix: \"\"\n    durability: weak\n    durableStore: s3-main")
            + "durableStores: [{id: local, type: filesystem, path: /tmp/x}]\n"))
        .containsExactly("storageClasses[0].durableStore: \"s3-main\" is not a durable store (defined: local)");
  }

  @Test
  void strongDurabilityWithoutStore() {
    assertThat(errors(MINIMAL.replace("prefix: \"\"", "prefix: \"\"\n    durability: strong")))
        .containsExactly("storageClasses[0].durability: strong needs a durableStore (define one under durableStores and name it here), or use durability: none");
  }

  @Test
  void durableStoreWithDurabilityNone() {
    assertThat(errors(MINIMAL.replace("prefix: \"\"", "prefix: \"\"\n    durableStore: local")
            + "durableStores: [{id: local, type: filesystem, path: /tmp/x}]\n"))
        .containsExactly("storageClasses[0].durableStore: \"local\" is set but durability is none, so nothing would be written there (set durability: weak or strong, or remove durableStore)");
  }

  @Test
  void badEnumValue() {
    assertThat(errors(MINIMAL.replace("prefix: \"\"", "prefix: \"\"\n    durability: sometimes")))
        .containsExactly("storageClasses[0].durability: \"sometimes\" is not valid (use none, weak, strong)");
  }

  @Test
  void durableStoreMistakes() {
    assertThat(errors(MINIMAL + """
        durableStores:
          - {id: a, type: s3}
          - {id: a, type: filesystem, path: /x}
          - {id: b, type: ftp}
          - {id: c, type: s3, bucket: x, endpoint: "ftp://x"}
        """))
        .containsExactly(
            "durableStores[0].bucket: is required",
            "durableStores[1].id: \"a\" is already used by durableStores[0] (ids must be unique)".replace("durableStores[0]", "durableStores[0]"),
            "durableStores[2].type: \"ftp\" is not a durable store type (use s3 or filesystem)",
            "durableStores[3].endpoint: \"ftp://x\" is not an http(s) URL (use e.g. http://127.0.0.1:9000)");
  }

  @Test
  void sameStorageTypeTwiceInOneClass() {
    assertThat(errors(MINIMAL.replace("tiers: [{storage: memory}]", "tiers: [{storage: memory}, {storage: memory}]")))
        .containsExactly("storageClasses[0].tiers[1].storage: memory is already used by storageClasses[0].tiers[0] (each storage type at most once per class)");
  }

  @Test
  void tiersGoFromFasterToSlower() {
    String storage = "storage: {memory: {capacity: 1GiB}, disk: {path: /tmp/d, capacity: 1GiB}}\n";
    assertThat(errors(storage + "storageClasses: [{prefix: \"\", tiers: [{storage: disk}, {storage: memory}]}]\n"))
        .containsExactly("storageClasses[0].tiers[1].storage: memory cannot come after disk (flights move down from faster to slower tiers: list them in the order memory, disk_mapped, disk)");
    assertThat(parse(storage + "storageClasses: [{prefix: \"\", tiers: [{storage: memory}, {storage: disk}]}]\n").storageClasses()).hasSize(1);
  }

  @Test
  void limitPolicyMistakes() {
    assertThat(errors(MINIMAL + """
        limitPolicies:
          - {type: standard, storageClasses: [cache/], total: 1GiB}
          - {type: segmented, storageClasses: [""], segment: 0, ephemeral: 1GiB}
          - {type: standard, storageClasses: [""]}
          - {type: hierarchical, storageClasses: [""], levels: [tenant], overrides: {t1: {total: -1GiB, children: {d1: {total: 1GiB}}}}}
          - {type: quota}
        """))
        .containsExactly(
            "limitPolicies[0].storageClasses[0]: \"cache/\" is not the prefix of a storage class (classes: \"\")",
            "limitPolicies[1].segment: 0 is out of range (use 1..255)",
            "limitPolicies[2]: sets no limit (give at least one of ephemeral, total, flights)",
            "limitPolicies[3].overrides.t1.total: \"-1GiB\" is not a size (use bytes or a binary unit, e.g. 512, 64KiB, 256MiB, 2GiB, 1TiB)",
            "limitPolicies[3].overrides.t1.children.d1: is deeper than the 1 level(s) named in levels",
            "limitPolicies[4].type: \"quota\" is not a limit policy type (use standard, segmented or hierarchical)");
  }

  @Test
  void sqlSectionDefaultsAndValues() {
    SqlConfig d = parse(MINIMAL).sql();
    assertThat(d.enabled()).isTrue();
    assertThat(d.threads()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(d.memoryLimit()).isEqualTo(1L << 30);
    assertThat(d.maxConcurrentQueries()).isGreaterThanOrEqualTo(2);
    SqlConfig c = parse(MINIMAL + """
        sql: {enabled: false, threads: 3, memoryLimit: 256MiB, queryTimeout: 45s, maxConcurrentQueries: 2,
              maxQueuedQueries: 0, queueTimeout: 0s, idleTimeout: 2m, resultGrace: 3s}
        """).sql();
    assertThat(c).isEqualTo(new SqlConfig(false, 3, 256L << 20, Duration.ofSeconds(45), 2, 0, Duration.ZERO, Duration.ofMinutes(2),
        Duration.ofSeconds(3)));
    assertThat(d.resultGrace()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void sqlMistakes() {
    assertThat(errors(MINIMAL + """
        sql: {enabled: yes please, threads: 0, memoryLimit: 1KiB, queryTimeout: 0s, maxConcurrentQueries: 0,
              maxQueuedQueries: -1, queueTimeout: soon, idleTime: 5m, resultGrace: 0s}
        """))
        .containsExactly(
            "sql.idleTime: is not a known key (did you mean idleTimeout? valid here: enabled, idleTimeout, maxConcurrentQueries, maxQueuedQueries, memoryLimit, queryTimeout, queueTimeout, resultGrace, threads)",
            "sql.enabled: must be true or false, got string \"yes please\"",
            "sql.threads: 0 is out of range (use 1..1024)",
            "sql.memoryLimit: 1KiB is too small for DuckDB (use at least 1MiB, e.g. 2GiB)",
            "sql.queryTimeout: must be longer than 0 (e.g. 30s, 5m)",
            "sql.maxConcurrentQueries: 0 is out of range (use 1..1024)",
            "sql.maxQueuedQueries: -1 is out of range (use 0..100000)",
            "sql.queueTimeout: \"soon\" is not a duration (use a whole number and a unit: 250ms, 30s, 15m, 2h, 7d)",
            "sql.resultGrace: must be longer than 0 (e.g. 30s, 5m)");
  }

  @Test
  void reportsEveryErrorAtOnce() {
    List<String> errors = errors(
        """
        server: {port: -1}
        storage: {memory: {capacity: lots}}
        storageClasses:
          - {prefix: a/, durability: strong, tiers: [{storage: disk}]}
          - {prefix: a/, tiers: [{storage: memory, priority: high}]}
        """);
    assertThat(errors).containsExactly(
        "server.port: -1 is out of range (use 0..65535)",
        "storage.memory.capacity: \"lots\" is not a size (use bytes or a binary unit, e.g. 512, 64KiB, 256MiB, 2GiB, 1TiB)",
        "storageClasses[0].durability: strong needs a durableStore (define one under durableStores and name it here), or use durability: none",
        "storageClasses[0].tiers[0].storage: disk is not configured under storage (configured: memory; add storage.disk or use one of those)",
        "storageClasses[1].prefix: \"a/\" is already the prefix of storageClasses[0] (prefixes must be unique)",
        "storageClasses[1].tiers[0].priority: \"high\" is not a whole number (use -1000000..1000000)");
  }

  @Test
  void yamlSyntaxAndShapeErrors() {
    assertThat(errors("storage: [\n")).singleElement().asString().startsWith("not valid YAML: ");
    assertThat(errors("")).containsExactly("the config is empty (it needs at least storage and storageClasses)");
    assertThat(errors("- a\n- b\n")).containsExactly("(top level): must be a mapping (key: value), got a list");
    assertThat(errors(MINIMAL + "storage: {memory: {capacity: 1GiB}}\n")).singleElement().asString()
        .startsWith("not valid YAML: ").contains("duplicate key storage");
    assertThat(errors("storageClasses: []\n"))
        .containsExactly("storage: is required (e.g. storage: {memory: {capacity: 1GiB}})", "storageClasses: is empty (add at least one class; prefix \"\" matches every path)");
  }

  /**
   * Random mutations of the full example either parse or fail with a ConfigException whose every
   * error names a YAML path: the parser never throws anything else.
   */
  @Test
  void mutatedConfigsOnlyEverFailWithConfigException() throws Exception {
    String yaml = Files.readString(Path.of("examples/hangar-full.yaml"));
    String[] replacements = {"", "0", "-1", "x", "[]", "{}", "\"\"", "1TiB", "true", "null", "7d", "{a: 1}", "[1, 2]", "${X}"};
    Random random = new Random(7);
    int rejected = 0;
    for (int i = 0; i < 3000; i++) {
      String[] lines = yaml.split("\n", -1);
      int at = random.nextInt(lines.length);
      String line = lines[at];
      int colon = line.indexOf(": ");
      if (colon < 0 || line.trim().startsWith("#")) {
        continue;
      }
      lines[at] = line.substring(0, colon + 2) + replacements[random.nextInt(replacements.length)];
      try {
        HangarConfig.parse(String.join("\n", lines), "mutant", Map.of());
      } catch (ConfigException e) {
        rejected++;
        assertThat(e.errors()).isNotEmpty().allSatisfy(err -> assertThat(err).matches("(?s)[^ ]+: .+|not valid YAML: .*|the config is empty.*"));
      }
    }
    assertThat(rejected).isGreaterThan(500);
  }

  private static final String TOKEN_HASH = "sha256:" + "ab".repeat(32);

  @Test
  void authAndTlsParseIntoPrincipalsWithGrants() {
    HangarConfig c = parse(MINIMAL + """
        server: {tls: {cert: /etc/hangar/cert.pem, key: /etc/hangar/key.pem, clientCa: /etc/hangar/ca.pem}}
        auth:
          sessionLifetime: 30m
          principals:
            - {name: etl, tokens: ["%s"], certificate: "CN=etl, O=Example", grants: [{prefix: "cache/t1/", access: write}]}
        """.formatted(TOKEN_HASH));
    assertThat(c.server().tls().orElseThrow().clientAuth()).isEqualTo(TlsConfig.ClientAuth.REQUIRE);
    assertThat(c.auth().sessionLifetime()).isEqualTo(java.time.Duration.ofMinutes(30));
    AuthConfig.Principal p = c.auth().principals().get(0);
    assertThat(p.certificate()).contains("CN=etl,O=Example");
    assertThat(p.grants()).containsExactly(new AuthConfig.Grant("cache/t1/", AuthConfig.Access.WRITE));
    assertThat(parse(MINIMAL).auth().enabled()).isFalse();
  }

  @Test
  void secretsInPlainTextAndBrokenGrantsAreRefusedWithTheFix() {
    assertThat(errors(MINIMAL + """
        auth:
          principals:
            - {name: a, tokens: [s3cret], grants: [{prefix: x/, access: own}]}
            - {name: b, password: hunter2, grants: [{access: read}]}
            - {name: c, password: "pbkdf2-sha256:1000:c2FsdHNhbHRzYWx0c2FsdA==:aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g="}
            - {name: c, certificate: "CN=x"}
            - {name: anonymous, tokens: ["%s"]}
            - {name: e}
        """.formatted(TOKEN_HASH))).containsExactly(
        "auth.principals[0].tokens[0]: is not a token hash; store tokens as sha256:<64 hex digits>, never in plain text (run ./hangar hash-secret --token)",
        "auth.principals[0].grants[0].access: \"own\" is not valid (use read, write, admin)",
        "auth.principals[1].password: is not a password hash; store passwords as pbkdf2-sha256:<iterations>:<salt>:<hash>, never in plain text (run ./hangar hash-secret)",
        "auth.principals[1].grants[0].prefix: is required (\"\" grants every path)",
        "auth.principals[2].password: uses 1000 PBKDF2 iterations; use at least 10000 (./hangar hash-secret uses 600000)",
        "auth.principals[3].name: \"c\" is already used by another principal",
        "auth.principals[4].name: \"anonymous\" is reserved",
        "auth.principals[5]: has no credentials (give tokens, a password or a certificate subject)");
    assertThat(errors(MINIMAL + "auth: {principals: []}\n"))
        .containsExactly("auth.principals: needs at least one principal (leave auth out for a node without authentication)");
  }

  @Test
  void tlsNeedsACertAndKeyAndClientAuthNeedsACa() {
    assertThat(errors(MINIMAL + "server: {tls: {cert: a.pem, clientAuth: require}}\n")).containsExactly(
        "server.tls.key: is required",
        "server.tls.clientCa: is required for clientAuth require (the CA that signs client certificates)");
    assertThat(errors(MINIMAL + "server: {tls: {cert: a.pem, key: k.pem, clientCa: ca.pem, clientAuth: none}}\n")).containsExactly(
        "server.tls.clientAuth: is none, but server.tls.clientCa is given (use require or optional, or drop clientCa)");
  }

  @Test
  void aCertificatePrincipalNeedsMutualTls() {
    assertThatThrownBy(() -> parse(MINIMAL + "auth: {principals: [{name: etl, certificate: \"CN=etl\"}]}\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("principal \"etl\" is known by its client certificate, but server.tls has no clientCa to verify one");
  }

  @Test
  void aConfigFileThatIsNotUtf8SaysSo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path f = dir.resolve("latin1.yaml");
    java.nio.file.Files.write(f, (MINIMAL + "# caf\u00e9\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> HangarConfig.load(f)).isInstanceOfSatisfying(ConfigException.class,
        e -> assertThat(e.errors()).containsExactly("the file is not UTF-8 text (save it as UTF-8; YAML config files must be)"));
  }

  @Test
  void clusterSectionParsesWithDefaults() {
    HangarConfig c = parse("""
        storage: {memory: {capacity: 64MiB}}
        storageClasses:
          - {prefix: "cache/", replicas: 2, placement: {segments: 2}, tiers: [{storage: memory}]}
        cluster: {nodeId: node-1, etcd: [http://127.0.0.1:2379, "http://10.0.0.2:2379"], token: 0123456789abcdef}
        """);
    ClusterConfig cluster = c.cluster().orElseThrow();
    assertThat(cluster.name()).isEqualTo("hangar");
    assertThat(cluster.nodeId()).isEqualTo("node-1");
    assertThat(cluster.etcd()).containsExactly("http://127.0.0.1:2379", "http://10.0.0.2:2379");
    assertThat(cluster.advertise()).isEmpty();
    assertThat(cluster.leaseTtl()).isEqualTo(Duration.ofSeconds(10));
    assertThat(cluster.rebalanceRate()).isEqualTo(64L << 20);
    assertThat(cluster.peerCa()).isEmpty();
    assertThat(parse(MINIMAL + "cluster: {nodeId: n, etcd: [http://127.0.0.1:2379], token: 0123456789abcdef, peerCa: /etc/hangar/ca.pem}")
        .cluster().orElseThrow().peerCa()).contains(java.nio.file.Path.of("/etc/hangar/ca.pem"));
    StorageClassConfig sc = c.storageClasses().get(0);
    assertThat(sc.replicas()).isEqualTo(2);
    assertThat(sc.placementKey("cache/tenant1/source/report")).isEqualTo("cache/tenant1");
    assertThat(sc.placementKey("cache/tenant1")).isEqualTo("cache/tenant1");
    assertThat(c.storageClasses().get(0).placementSegments()).isEqualTo(2);
    assertThat(parse(MINIMAL).cluster()).isEmpty();
    assertThat(parse(MINIMAL).storageClasses().get(0).placementKey("a/b/c")).isEqualTo("a/b/c");
  }

  @Test
  void etcdOverTlsAndWithAUser() {
    ClusterConfig c = parse(MINIMAL + """
        cluster:
          nodeId: n
          token: 0123456789abcdef
          etcd: [https://etcd-1:2379, "https://etcd-2:2379"]
          etcdTls: {ca: /etc/hangar/etcd-ca.pem, cert: /etc/hangar/etcd.pem, key: /etc/hangar/etcd-key.pem}
          etcdUser: hangar
          etcdPassword: ${S3_SECRET}
        """).cluster().orElseThrow();
    assertThat(c.etcdOverTls()).isTrue();
    assertThat(c.etcdTls()).contains(new ClusterConfig.EtcdTls(Optional.of(java.nio.file.Path.of("/etc/hangar/etcd-ca.pem")),
        Optional.of(java.nio.file.Path.of("/etc/hangar/etcd.pem")), Optional.of(java.nio.file.Path.of("/etc/hangar/etcd-key.pem"))));
    assertThat(c.etcdLogin()).contains(new ClusterConfig.EtcdLogin("hangar", "secret"));
    assertThat(c.toString()).contains("hangar").doesNotContain("secret").doesNotContain("0123456789abcdef");
    // https:// alone: TLS with the JVM's trust store and no client certificate
    ClusterConfig plain = parse(MINIMAL + "cluster: {nodeId: n, etcd: [https://etcd:2379], token: 0123456789abcdef}").cluster().orElseThrow();
    assertThat(plain.etcdOverTls()).isTrue();
    assertThat(plain.etcdTls()).isEmpty();
    assertThat(plain.etcdLogin()).isEmpty();
    assertThat(parse(MINIMAL + "cluster: {nodeId: n, etcd: [http://etcd:2379], token: 0123456789abcdef}").cluster().orElseThrow()
        .etcdOverTls()).isFalse();
  }

  @Test
  void etcdTlsMistakesAreNamed() {
    String cluster = MINIMAL + "cluster: {nodeId: n, token: 0123456789abcdef, ";
    assertThat(errors(cluster + "etcd: [http://a:2379, https://b:2379]}")).containsExactly("cluster.etcd: mixes http:// and https://"
        + " endpoints; the nodes reach every etcd member the same way (use https:// for all, for TLS)");
    assertThat(errors(cluster + "etcd: [http://a:2379], etcdTls: {ca: /ca.pem}}")).containsExactly(
        "cluster.etcdTls: is given, but the etcd endpoints are http://; TLS to etcd needs https:// endpoints");
    assertThat(errors(cluster + "etcd: [https://a:2379], etcdTls: {cert: /c.pem}}")).containsExactly(
        "cluster.etcdTls.key: is required with cluster.etcdTls.cert (the client certificate etcd checks and its key go together)");
    assertThat(errors(cluster + "etcd: [https://a:2379], etcdTls: {key: /k.pem, crt: /c.pem}}")).containsExactlyInAnyOrder(
        "cluster.etcdTls.crt: is not a known key (did you mean cert? valid here: ca, cert, key)",
        "cluster.etcdTls.cert: is required with cluster.etcdTls.key (the client certificate etcd checks and its key go together)");
    assertThat(errors(cluster + "etcd: [https://a:2379], etcdTls: {ca: \"\"}}")).containsExactly("cluster.etcdTls.ca: must not be empty");
    assertThat(errors(cluster + "etcd: [https://a:2379], etcdTls: /ca.pem}")).containsExactly(
        "cluster.etcdTls: must be a mapping (key: value), got string \"/ca.pem\"");
    assertThat(errors(cluster + "etcd: [https://a:2379], etcdUser: hangar}")).containsExactly("cluster.etcdPassword: is required with"
        + " cluster.etcdUser (etcd's user and password go together; keep the password out of the file with ${NAME})");
    assertThat(errors(cluster + "etcd: [https://a:2379], etcdPassword: pw}")).containsExactly("cluster.etcdUser: is required with"
        + " cluster.etcdPassword (etcd's user and password go together; keep the password out of the file with ${NAME})");
    assertThat(errors(cluster + "etcd: [https://a:2379], etcdUser: \"\", etcdPassword: pw}")).containsExactly("cluster.etcdUser: must not be empty");
  }

  @Test
  void clusterMistakesAreNamed() {
    assertThat(errors("""
        storage: {memory: {capacity: 64MiB}}
        storageClasses:
          - {prefix: "cache/t/", placement: {segments: 1}, tiers: [{storage: memory}]}
          - {prefix: "x/", placement: {}, tiers: [{storage: memory}]}
        cluster: {nodeId: "bad id", etcd: [ftp://x], advertise: "10.0.0.1:8815", token: short, leaseTtl: 500ms, colour: red}
        """)).containsExactlyInAnyOrder(
        "storageClasses[0].placement.segments: 1 is fewer segments than the prefix \"cache/t/\" has, so every flight of the class"
            + " would share one set of owners (use more segments)",
        "storageClasses[1].placement.segments: is required (the number of leading path segments flights are placed by, e.g. 2)",
        "cluster.colour: is not a known key (valid here: advertise, etcd, etcdPassword, etcdTls, etcdUser, leaseTtl, name, nodeId, peerCa,"
            + " peerTimeout, rebalanceRate, token)",
        "cluster.nodeId: \"bad id\" is not a valid node id (letters, digits, '.', '_', '-'; at most 63)",
        "cluster.etcd[0]: \"ftp://x\" is not an etcd endpoint (use http://host:port, or https://host:port for TLS)",
        "cluster.advertise: \"10.0.0.1:8815\" is not a Flight location (use grpc://host:port or grpc+tls://host:port)",
        "cluster.token: has 5 characters; use at least 16 (e.g. the output of: openssl rand -hex 32)",
        "cluster.leaseTtl: must be at least 1s (etcd leases count whole seconds)");
    assertThat(errors("""
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", replicas: 3, tiers: [{storage: memory}]}]
        """)).containsExactly("storageClasses[0].replicas: 3 copies need a cluster (add a cluster: section with etcd and the other nodes, or use replicas: 1)");
  }
}
