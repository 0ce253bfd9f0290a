package dev.hangar.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hangar.config.HangarConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The deployment files agree with the node (no Kubernetes cluster or Docker engine here, so they
 * are checked as data): the Kubernetes config parses and its ports and probe paths are the node's,
 * docker-compose's health check and Prometheus target point at the operations port, and every
 * metric the Grafana dashboard queries exists in a real scrape.
 */
class DeploymentFilesIT {
  private static final Path ROOT = Path.of(System.getProperty("hangar.root", "..")).toAbsolutePath().normalize();
  private static final Yaml YAML = new Yaml(new SafeConstructor(new LoaderOptions()));

  @Test
  @SuppressWarnings("unchecked")
  void kubernetesManifestsMatchTheNode() throws Exception {
    List<Map<String, Object>> docs = new ArrayList<>();
    YAML.loadAll(Files.readString(ROOT.resolve("deploy/kubernetes/hangar.yaml"))).forEach(d -> docs.add((Map<String, Object>) d));
    assertThat(docs).extracting(d -> d.get("kind")).containsExactly("ConfigMap", "Deployment", "Service");
    String yaml = (String) ((Map<String, Object>) docs.get(0).get("data")).get("hangar.yaml");
    HangarConfig config = HangarConfig.parse(yaml, "ConfigMap hangar", Map.of());
    int flight = config.server().port();
    int ops = config.server().http().orElseThrow().port();
    assertThat(HangarServer.openNodeWarning(config)).as("a cluster node without auth listens on 0.0.0.0").isPresent();

    Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) docs.get(1).get("spec")).get("template"))
        .get("spec");
    Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
    assertThat(container.get("args")).isEqualTo(List.of("serve", "--config", "/etc/hangar/hangar.yaml"));
    assertThat(((List<Map<String, Object>>) container.get("volumeMounts")).get(0).get("mountPath")).isEqualTo("/etc/hangar");
    Map<String, Object> ports = new java.util.HashMap<>();
    ((List<Map<String, Object>>) container.get("ports")).forEach(p -> ports.put((String) p.get("name"), p.get("containerPort")));
    assertThat(ports).isEqualTo(Map.of("flight", flight, "ops", ops));
    for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      Map<String, Object> get = (Map<String, Object>) ((Map<String, Object>) container.get(probe)).get("httpGet");
      assertThat(get.get("port")).as(probe).isEqualTo("ops");
      assertThat(get.get("path")).as(probe).isEqualTo(probe.equals("readinessProbe") ? "/ready" : "/live");
    }
    List<Map<String, Object>> servicePorts = (List<Map<String, Object>>) ((Map<String, Object>) docs.get(2).get("spec")).get("ports");
    assertThat(servicePorts).extracting(p -> p.get("targetPort")).containsExactly("flight", "ops");
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeChecksReadinessAndPrometheusScrapesTheOperationsPort() throws Exception {
    Map<String, Object> compose = YAML.load(Files.readString(ROOT.resolve("docker-compose.yml")));
    Map<String, Object> services = (Map<String, Object>) compose.get("services");
    assertThat(services).containsKeys("minio", "hangar", "prometheus", "grafana");
    Map<String, Object> hangar = (Map<String, Object>) services.get("hangar");
    HangarConfig config = HangarConfig.parse(Files.readString(ROOT.resolve("config/examples/durable.yaml")), "durable.yaml", Map.of());
    int ops = config.server().http().orElseThrow().port();
    assertThat((List<String>) ((Map<String, Object>) hangar.get("healthcheck")).get("test")).contains("http://127.0.0.1:" + ops + "/ready");
    assertThat((List<String>) hangar.get("ports")).contains("127.0.0.1:" + ops + ":" + ops);
    Map<String, Object> prometheus = YAML.load(Files.readString(ROOT.resolve("deploy/prometheus/prometheus.yml")));
    Map<String, Object> job = ((List<Map<String, Object>>) prometheus.get("scrape_configs")).get(0);
    assertThat(job.get("metrics_path")).isEqualTo("/metrics");
    assertThat(((List<Map<String, Object>>) job.get("static_configs")).get(0).get("targets")).isEqualTo(List.of("hangar:" + ops));
    for (String volume : (List<String>) ((Map<String, Object>) services.get("grafana")).get("volumes")) {
      assertThat(ROOT.resolve(volume.substring(2, volume.indexOf(':')))).as(volume).isDirectory();
    }
  }

  @Test
  void everyMetricTheDashboardQueriesExists() throws Exception {
    JsonNode dashboard = Hangar.JSON.readTree(ROOT.resolve("deploy/grafana/dashboards/hangar.json").toFile());
    Map<String, Object> datasource = YAML.load(Files.readString(ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml")));
    String uid = (String) ((List<Map<String, Object>>) datasource.get("datasources")).get(0).get("uid");
    TreeSet<String> metrics = new TreeSet<>();
    Pattern name = Pattern.compile("\\b((?:hangar|grpc)_[a-z_]+)");
    for (JsonNode panel : dashboard.get("panels")) {
      assertThat(panel.at("/datasource/uid").asText()).as(panel.get("title").asText()).isEqualTo(uid);
      for (JsonNode target : panel.get("targets")) {
        Matcher m = name.matcher(target.get("expr").asText());
        while (m.find()) {
          metrics.add(m.group(1));
        }
      }
    }
    assertThat(metrics).hasSizeGreaterThan(8);
    try (Hangar h = Hangar.start("""
        server: {http: {host: 127.0.0.1, port: 0}}
        storage: {memory: {capacity: 64MiB}}
        storageClasses: [{prefix: "", tiers: [{storage: memory}]}]
        limitPolicies: [{type: segmented, storageClasses: [""], segment: 1, ephemeral: 1MiB}]
        """)) {
      h.put("t/a", TestData.narrow(1, 10, 1));
      h.get("t/a");
      String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + h.server.httpPort()
          + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
      for (String metric : metrics) {
        assertThat(scrape).as("the dashboard queries %s", metric).containsPattern("(?m)^" + Pattern.quote(metric) + "[{ ]");
      }
    }
  }
}
