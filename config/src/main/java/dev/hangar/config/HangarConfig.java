package dev.hangar.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The whole configuration of a Hangar node: one YAML file, parsed and validated as a unit. */
public record HangarConfig(
    ServerConfig server,
    StorageConfig storage,
    List<DurableStoreConfig> durableStores,
    List<StorageClassConfig> storageClasses,
    List<LimitPolicyConfig> limitPolicies,
    SqlConfig sql,
    AuthConfig auth,
    Optional<ClusterConfig> cluster) {

  /** The classpath resource holding the embedded default config. */
  public static final String DEFAULT_RESOURCE = "/dev/hangar/config/hangar-default.yaml";

  /**
   * Checks what relates the sections to each other, whether the config came from YAML or was built
   * in code: every class's tiers are storage types the node has, each once, fastest first (memory,
   * disk_mapped, disk); a durable class names a durable store that exists, and a {@code none} class
   * none; prefixes are unique; limit policies name existing classes.
   *
   * @throws ConfigException listing every problem
   */
  public HangarConfig {
    durableStores = List.copyOf(durableStores);
    storageClasses = List.copyOf(storageClasses);
    limitPolicies = List.copyOf(limitPolicies);
    List<String> problems = new java.util.ArrayList<>();
    java.util.Set<String> prefixes = new java.util.HashSet<>();
    for (StorageClassConfig c : storageClasses) {
      String name = "storage class \"" + c.prefix() + "\"";
      if (!prefixes.add(c.prefix())) {
        problems.add(name + " is defined twice");
      }
      StorageType previous = null;
      for (TierConfig t : c.tiers()) {
        if (storage.get(t.storage()).isEmpty()) {
          problems.add(name + " uses storage type " + t.storage() + ", which storage does not configure");
        }
        if (previous != null && t.storage().ordinal() <= previous.ordinal()) {
          problems.add(name + ": tier " + t.storage() + " comes after " + previous
              + "; list tiers fastest first (memory, disk_mapped, disk), each once");
        }
        previous = t.storage();
      }
      if (c.durability() == Durability.NONE && c.durableStore().isPresent()) {
        problems.add(name + " has durability none but names durable store \"" + c.durableStore().get() + "\"");
      }
      if (c.durability() != Durability.NONE) {
        if (c.durableStore().isEmpty()) {
          problems.add(name + " has durability " + c.durability().key() + " but names no durable store");
        } else if (durableStores.stream().noneMatch(d -> d.id().equals(c.durableStore().get()))) {
          problems.add(name + " names durable store \"" + c.durableStore().get() + "\", which is not defined");
        }
      }
    }
    for (LimitPolicyConfig p : limitPolicies) {
      for (String cls : p.storageClasses()) {
        if (!prefixes.contains(cls)) {
          problems.add("a limit policy names storage class \"" + cls + "\", which is not defined");
        }
      }
    }
    if (auth == null) {
      problems.add("auth must not be null (use AuthConfig.NONE)");
    } else if (server.tls().map(t -> !t.mutual()).orElse(true)) {
      for (AuthConfig.Principal p : auth.principals()) {
        if (p.certificate().isPresent()) {
          problems.add("principal \"" + p.name() + "\" is known by its client certificate, but server.tls has no clientCa to verify one");
        }
      }
    }
    if (cluster == null) {
      problems.add("cluster must not be null (use Optional.empty())");
    } else if (cluster.isEmpty()) {
      for (StorageClassConfig c : storageClasses) {
        if (c.replicas() > 1) {
          problems.add("storage class \"" + c.prefix() + "\" has replicas: " + c.replicas()
              + ", which needs a cluster (add a cluster: section, or use replicas: 1)");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException("(config)", problems);
    }
  }

  /** A config of a node that is not part of a cluster. */
  public HangarConfig(ServerConfig server, StorageConfig storage, List<DurableStoreConfig> durableStores,
      List<StorageClassConfig> storageClasses, List<LimitPolicyConfig> limitPolicies, SqlConfig sql, AuthConfig auth) {
    this(server, storage, durableStores, storageClasses, limitPolicies, sql, auth, Optional.empty());
  }

  /** A config without {@code auth}: anyone who reaches the port may do anything. */
  public HangarConfig(ServerConfig server, StorageConfig storage, List<DurableStoreConfig> durableStores,
      List<StorageClassConfig> storageClasses, List<LimitPolicyConfig> limitPolicies, SqlConfig sql) {
    this(server, storage, durableStores, storageClasses, limitPolicies, sql, AuthConfig.NONE);
  }

  /** Reads and validates {@code file}, expanding {@code ${NAME}} from the process environment. */
  public static HangarConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file.toString(), List.of("file not found"));
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new ConfigException(file.toString(), List.of("the file is not UTF-8 text (save it as UTF-8; YAML config files must be)"));
    } catch (IOException e) {
      throw new ConfigException(file.toString(), List.of("cannot read file: " + e.getMessage()));
    }
    return parse(text, file.toString(), System.getenv());
  }

  /** Parses and validates YAML text; {@code source} names it in error messages. */
  public static HangarConfig parse(String yaml, String source, Map<String, String> env) {
    return new ConfigParser(source, env).parse(yaml);
  }

  /** The embedded default: a memory tier, a filesystem store under ./hangar-data, one class for every path. */
  public static HangarConfig defaults() {
    return parse(defaultYaml(), "(embedded default)", System.getenv());
  }

  /** The text of the embedded default config. */
  public static String defaultYaml() {
    try (InputStream in = HangarConfig.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("Cannot find embedded config " + DEFAULT_RESOURCE);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Optional<DurableStoreConfig> durableStore(String id) {
    return durableStores.stream().filter(s -> s.id().equals(id)).findFirst();
  }

  /** The same config listening on another port (0 picks a free one). */
  public HangarConfig withPort(int port) {
    return new HangarConfig(server.withPort(port), storage, durableStores, storageClasses, limitPolicies, sql, auth, cluster);
  }

  /** The same config with its operations port (if any) on {@code port} (0 picks a free one). */
  public HangarConfig withHttpPort(int port) {
    return new HangarConfig(server.withHttpPort(port), storage, durableStores, storageClasses, limitPolicies, sql, auth, cluster);
  }

  /** The same config with another {@code sql:} section; used by tests. */
  public HangarConfig withSql(SqlConfig newSql) {
    return new HangarConfig(server, storage, durableStores, storageClasses, limitPolicies, newSql, auth, cluster);
  }

  /** The same config as a member of {@code newCluster}; used by tests. */
  public HangarConfig withCluster(ClusterConfig newCluster) {
    return new HangarConfig(server, storage, durableStores, storageClasses, limitPolicies, sql, auth, Optional.of(newCluster));
  }
}
