package dev.hangar.server.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hangar.config.HangarConfig;
import dev.hangar.config.StorageClassConfig;
import dev.hangar.storage.FlightStore;
import dev.hangar.storage.StoreStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The status page at {@code /} of the operations port: one HTML file with its CSS and script inline
 * (no external assets), which fetches {@code /status.json} every 5 s and draws it. The JSON holds
 * the storage types with their last hour ({@link History}), the classes and their rules, the
 * limit-policy scopes nearest their limits, the largest and the most read flights, the weak-write
 * backlog, recent errors by kind, and the node's config with its secrets masked.
 */
public final class StatusPage {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TOP = 10;
  /** What the config's text shows of secrets: S3 keys, token and password hashes. */
  private static final Pattern SECRETS = Pattern.compile(
      "(secretAccessKey=|accessKeyId=|tokenHashes=\\[|passwordHash=Optional\\[)([^,\\]\\)]+)");

  private final HangarConfig config;
  private final FlightStore store;
  private final History history;
  private final Health health;
  private final RecentErrors errors;
  private final byte[] html;

  public StatusPage(HangarConfig config, FlightStore store, History history, Health health, RecentErrors errors) {
    this.config = config;
    this.store = store;
    this.history = history;
    this.health = health;
    this.errors = errors;
    try (InputStream in = StatusPage.class.getResourceAsStream("status.html")) {
      this.html = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public byte[] html() {
    return html;
  }

  /** The page's data, as JSON. */
  public String json() {
    StoreStats stats = store.stats();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("node", Map.of("ready", health.ready(), "readiness", health.reason(), "flightPort", config.server().port(),
        "tls", config.server().tls().isPresent(), "auth", config.auth().enabled()));
    List<Map<String, Object>> types = new ArrayList<>();
    for (StoreStats.TypeStats t : stats.storageTypes()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", t.storage());
      m.put("capacity", t.capacity());
      m.put("bytes", t.bytes());
      m.put("flights", t.flights());
      m.put("hits", t.hits());
      m.put("evictions", t.evictions());
      List<History.Sample> h = history.of(t.storage());
      m.put("history", Map.of("at", h.stream().map(History.Sample::at).toList(), "bytes", h.stream().map(History.Sample::bytes).toList(),
          "hits", h.stream().map(History.Sample::hits).toList(), "evictions", h.stream().map(History.Sample::evictions).toList()));
      types.add(m);
    }
    out.put("storageTypes", types);
    List<Map<String, Object>> classes = new ArrayList<>();
    for (StoreStats.ClassStats c : stats.storageClasses()) {
      StorageClassConfig cc = config.storageClasses().stream().filter(x -> x.prefix().equals(c.prefix())).findFirst().orElseThrow();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("prefix", c.prefix());
      m.put("durability", c.durability());
      m.put("tiers", cc.tiers().stream().map(t -> t.storage().key()).toList());
      m.put("ttl", cc.ttl().map(dev.hangar.config.Durations::format).orElse(null));
      m.put("durableStore", cc.durableStore().orElse(null));
      m.put("flights", c.flights());
      m.put("bytes", c.bytes());
      m.put("hits", c.hits());
      m.put("misses", c.misses());
      m.put("puts", c.puts());
      m.put("evictions", c.evictions());
      classes.add(m);
    }
    out.put("classes", classes);
    List<StoreStats.ScopeStats> scopes = new ArrayList<>(stats.limitScopes());
    scopes.sort(Comparator.comparingDouble(NodeMetrics::nearness).reversed());
    out.put("scopes", scopes.stream().limit(TOP).map(s -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", s.policy());
      m.put("scope", s.scope());
      m.put("nearness", NodeMetrics.nearness(s));
      m.put("ephemeral", s.ephemeral());
      m.put("ephemeralLimit", s.ephemeralLimit());
      m.put("total", s.total());
      m.put("totalLimit", s.totalLimit());
      m.put("flights", s.flights());
      m.put("flightsLimit", s.flightsLimit());
      return m;
    }).toList());
    List<List<FlightStore.Held>> top = store.largestAndHottest(TOP);
    out.put("largest", top.get(0));
    out.put("hottest", top.get(1));
    FlightStore.DurableActivity d = store.durableActivity();
    out.put("weak", Map.of("pending", d.weakPending(), "oldestWaitSeconds", d.oldestWeakWait().toMillis() / 1000.0,
        "uploadsOpen", d.uploadsOpen(), "retries", d.weakRetries()));
    out.put("errors", Map.of("counts", errors.counts(), "last", errors.last().stream().map(f -> Map.of("at", f.at().toString(),
        "method", f.method(), "code", f.code(), "message", f.message())).toList()));
    out.put("config", masked(config));
    try {
      return JSON.writeValueAsString(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The config as its records print it, secrets replaced by asterisks. */
  static String masked(HangarConfig config) {
    String text = config.toString();
    return SECRETS.matcher(text).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(m.group(1) + "********"));
  }


}
