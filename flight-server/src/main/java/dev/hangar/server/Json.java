package dev.hangar.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.hangar.storage.FlightSummary;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON Hangar answers with: put results and action bodies. */
public final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Json() {}

  public static byte[] bytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot encode JSON", e);
    }
  }

  /**
   * {@link #putResult} as compact JSON, written directly: every DoPut answers with it, and for a small
   * flight a general JSON encoder was a measurable part of the call (BENCHMARKS.md).
   */
  public static byte[] putResultBytes(FlightSummary s) {
    return putResultBytes(s, 0);
  }

  /** The PutResult's JSON; {@code copies} > 0 (in a cluster) says on how many nodes the flight is held. */
  public static byte[] putResultBytes(FlightSummary s, int copies) {
    StringBuilder b = new StringBuilder(320);
    b.append("{\"path\":");
    string(b, s.path());
    b.append(",\"rows\":").append(s.rows());
    b.append(",\"batches\":").append(s.batches());
    b.append(",\"bytes\":").append(s.bytes());
    b.append(",\"bodyBytes\":").append(s.bodyBytes());
    b.append(",\"tier\":");
    string(b, s.location());
    b.append(",\"storageClass\":");
    string(b, s.storageClass());
    b.append(",\"durability\":");
    string(b, s.durability().key());
    b.append(",\"durableCopy\":");
    string(b, s.durableCopy());
    b.append(",\"committedAt\":");
    string(b, s.committedAt().toString());
    s.expiresAt().ifPresent(e -> {
      b.append(",\"expiresAt\":");
      string(b, e.toString());
    });
    if (copies > 0) {
      b.append(",\"copies\":").append(copies);
    }
    return b.append('}').toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void string(StringBuilder b, String value) {
    b.append('"');
    com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(value, b);
    b.append('"');
  }

  /** What a put (DoPut, query-to-flight) says it stored. */
  public static Map<String, Object> putResult(FlightSummary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", s.path());
    m.put("rows", s.rows());
    m.put("batches", s.batches());
    m.put("bytes", s.bytes());
    m.put("bodyBytes", s.bodyBytes());
    m.put("tier", s.location());
    m.put("storageClass", s.storageClass());
    m.put("durability", s.durability().key());
    m.put("durableCopy", s.durableCopy()); // none | pending (weak, not landed yet) | stored
    m.put("committedAt", s.committedAt().toString());
    s.expiresAt().ifPresent(e -> m.put("expiresAt", e.toString()));
    return m;
  }
}
