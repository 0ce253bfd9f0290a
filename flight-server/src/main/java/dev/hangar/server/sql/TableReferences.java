package dev.hangar.server.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The tables a SELECT names, read from DuckDB's own parse tree ({@code json_serialize_sql}), and
 * the query rewritten so that every reference to a flight reads its own Arrow stream.
 *
 * <p>A registered Arrow stream can be scanned once, so a self-join, a {@code UNION ALL} of one
 * flight or a subquery over the flight the outer query reads would fail if they shared one name.
 * Each reference {@code "cache/t1/sales"} becomes {@code "__hangar_ref_3" AS "cache/t1/sales"} (the
 * alias keeps qualified column names such as {@code "cache/t1/sales".amount} working), or just
 * {@code "__hangar_ref_3"} where the query gave its own alias.
 */
final class TableReferences {
  static final String REF_PREFIX = "__hangar_ref_";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One table reference: where its name is in the query (UTF-8 byte offset), the name, its alias. */
  record Reference(int offset, String name, boolean aliased) {}

  private final String sql;
  private final List<Reference> references;

  private TableReferences(String sql, List<Reference> references) {
    this.sql = sql;
    this.references = references;
  }

  /**
   * Reads DuckDB's serialised parse tree of {@code sql}. Names defined by a {@code WITH} clause
   * and schema-qualified names ({@code information_schema.tables}) are not flights and are left out.
   *
   * @throws SqlRejectedException if DuckDB could not parse it, or it is not a single SELECT
   */
  static TableReferences of(String sql, String serialized) {
    JsonNode root;
    try {
      root = JSON.readTree(serialized);
    } catch (IOException e) {
      throw new IllegalStateException("DuckDB returned a parse tree that is not JSON", e);
    }
    if (root.path("error").asBoolean(false)) {
      String message = root.path("error_message").asText("");
      if (message.startsWith("Only SELECT statements")) {
        throw new SqlRejectedException("Hangar runs read-only queries (SELECT, WITH … SELECT, VALUES, FROM …); "
            + "this statement is not one. To keep a result, store it as a flight with the query-to-flight action");
      }
      String type = root.path("error_type").asText("");
      throw new SqlRejectedException(capitalized(type) + " Error: " + message);
    }
    JsonNode statements = root.path("statements");
    if (statements.size() != 1) {
      throw new SqlRejectedException("Cannot run " + statements.size() + " statements at once: send one query per request");
    }
    Set<String> cteNames = new HashSet<>();
    List<JsonNode> tables = new ArrayList<>();
    walk(statements.get(0), cteNames, tables);
    List<Reference> refs = new ArrayList<>();
    for (JsonNode t : tables) {
      String name = t.path("table_name").asText();
      if (t.path("schema_name").asText("").isEmpty() && t.path("catalog_name").asText("").isEmpty()
          && !cteNames.contains(name.toLowerCase(Locale.ROOT))) {
        refs.add(new Reference(t.path("query_location").asInt(), name, !t.path("alias").asText("").isEmpty()));
      }
    }
    refs.sort(Comparator.comparingInt(Reference::offset));
    return new TableReferences(sql, List.copyOf(refs));
  }

  /**
   * DuckDB functions that show the engine's own state rather than compute on flights: its settings,
   * catalogs, memory and files. A tenant's SQL sees flights only, so these are refused.
   */
  private static boolean introspection(String function) {
    String f = function.toLowerCase(Locale.ROOT);
    return f.startsWith("duckdb_") || f.startsWith("pragma_") || f.equals("current_setting") || f.equals("which_secret")
        || f.equals("getvariable") || f.equals("current_database") || f.equals("current_schema") || f.equals("current_schemas");
  }

  private static void walk(JsonNode node, Set<String> cteNames, List<JsonNode> tables) {
    if (node.isObject()) {
      String function = node.path("function_name").asText("");
      if (!function.isEmpty() && introspection(function)) {
        throw new SqlRejectedException("Cannot run the query: " + function + "() shows the SQL engine's own settings and state,"
            + " not flights; Hangar's SQL reads flights only");
      }
      if ("BASE_TABLE".equals(node.path("type").asText()) && node.has("table_name")) {
        tables.add(node);
      }
      JsonNode ctes = node.path("cte_map").path("map");
      for (JsonNode cte : ctes) {
        cteNames.add(cte.path("key").asText().toLowerCase(Locale.ROOT));
      }
      node.forEach(child -> walk(child, cteNames, tables));
    } else if (node.isArray()) {
      node.forEach(child -> walk(child, cteNames, tables));
    }
  }

  /** Every table reference, in query order. */
  List<Reference> references() {
    return references;
  }

  /** The distinct names the query reads, in the order they first appear. */
  Set<String> names() {
    Set<String> out = new LinkedHashSet<>();
    references.forEach(r -> out.add(r.name()));
    return out;
  }

  /** The query with reference {@code i} (in {@link #references()} order) reading the table {@code __hangar_ref_i} instead. */
  String rewritten() {
    byte[] bytes = sql.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(sql.length() + 32 * references.size());
    int from = 0;
    for (int i = 0; i < references.size(); i++) {
      Reference r = references.get(i);
      int end = identifierEnd(bytes, r.offset());
      out.append(new String(bytes, from, r.offset() - from, StandardCharsets.UTF_8));
      out.append(quote(REF_PREFIX + i));
      if (!r.aliased()) {
        out.append(" AS ").append(quote(r.name()));
      }
      from = end;
    }
    out.append(new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8));
    return out.toString();
  }

  /** The byte offset just past the identifier starting at {@code start}: quoted ("a""b") or bare. */
  private static int identifierEnd(byte[] b, int start) {
    if (start >= b.length) {
      throw new IllegalStateException("table reference outside the query");
    }
    if (b[start] == '"') {
      int i = start + 1;
      while (i < b.length) {
        if (b[i] == '"') {
          if (i + 1 < b.length && b[i + 1] == '"') {
            i += 2;
            continue;
          }
          return i + 1;
        }
        i++;
      }
      throw new IllegalStateException("unterminated quoted identifier");
    }
    int i = start;
    while (i < b.length && (Character.isLetterOrDigit(b[i]) || b[i] == '_' || b[i] < 0)) {
      i++;
    }
    return i;
  }

  static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  private static String capitalized(String s) {
    return s.isEmpty() ? "Parser" : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
