package dev.hangar.tiers.ipc;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/**
 * Checks columns that claim one of Arrow's canonical extension types ({@code ARROW:extension:name}
 * {@code arrow.*}) against what the Arrow format defines for it: its storage type and its metadata.
 * Readers that know a canonical type (Arrow C++, so pyarrow and ADBC, registers all six) refuse the
 * whole stream when a column claims one and does not conform, so a flight holding such a column
 * would be unreadable to them; Hangar refuses it at the put instead. Any other extension name is kept
 * as sent and not interpreted (readers that do not know it see its storage type).
 *
 * <p>The rules follow the canonical extension specification and, where it is silent (an empty
 * {@code dim_names}, a metadata value that is not a JSON object), what Arrow C++ does.
 */
final class CanonicalExtensions {
  static final String NAME_KEY = "ARROW:extension:name";
  static final String METADATA_KEY = "ARROW:extension:metadata";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION); // readers disagree on which of two equal keys wins

  private static final String NOT_AN_OBJECT = "its metadata is not a JSON object (with distinct keys)";

  private CanonicalExtensions() {}

  /**
   * Checks {@code column} if {@code name} is a canonical extension name.
   *
   * @param metadata the column's {@code ARROW:extension:metadata}, "" if absent
   * @throws InvalidMessageException naming the column and what does not conform
   */
  static void check(CheckedFlatBuffer fb, String qualified, FlightSchema.Column column, String name, String metadata) {
    String problem = switch (name) {
      case "arrow.fixed_shape_tensor" -> fixedShapeTensor(column, metadata);
      case "arrow.variable_shape_tensor" -> variableShapeTensor(column, metadata);
      case "arrow.json" -> storage(column, "utf8, large_utf8 or utf8_view",
          is(column, ArrowType.UTF8) || is(column, ArrowType.LARGE_UTF8) || is(column, ArrowType.UTF8_VIEW));
      case "arrow.uuid" -> either(
          storage(column, "fixed_size_binary[16]", is(column, ArrowType.FIXED_SIZE_BINARY) && column.valueBits() == 128), empty(metadata));
      case "arrow.bool8" -> either(storage(column, "int8", is(column, ArrowType.INT) && column.typeName().equals("int8")), empty(metadata));
      case "arrow.opaque" -> opaque(metadata);
      default -> "";
    };
    if (!problem.isEmpty()) {
      throw fb.bad("column %s claims the canonical extension type %s, but %s", qualified, name, problem);
    }
  }

  private static boolean is(FlightSchema.Column c, ArrowType type) {
    return !c.dictionaryEncoded() && c.type() == type;
  }

  private static String storageName(FlightSchema.Column c) {
    return c.dictionaryEncoded() ? "dictionary<" + c.typeName() + ">" : c.typeName();
  }

  private static String storage(FlightSchema.Column c, String expected, boolean ok) {
    return ok ? "" : "its storage is " + storageName(c) + " (" + expected + " expected)";
  }

  private static String either(String first, String second) {
    return first.isEmpty() ? second : first;
  }

  private static String empty(String metadata) {
    return metadata.isEmpty() ? "" : "its metadata must be empty";
  }

  private static JsonNode object(String metadata) {
    try {
      JsonNode node = JSON.readTree(metadata);
      return node != null && node.isObject() ? node : null;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static String fixedShapeTensor(FlightSchema.Column c, String metadata) {
    if (!is(c, ArrowType.FIXED_SIZE_LIST)) {
      return storage(c, "fixed_size_list", false);
    }
    JsonNode meta = object(metadata);
    if (meta == null) {
      return NOT_AN_OBJECT;
    }
    JsonNode shape = meta.get("shape");
    if (shape == null || !shape.isArray()) {
      return "its metadata has no \"shape\" array";
    }
    long product = 1;
    for (JsonNode d : shape) {
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        return "its \"shape\" holds " + d + " (dimensions are non-negative integers)";
      }
      product = product > 0 && d.asLong() > Integer.MAX_VALUE / product ? Long.MAX_VALUE : product * d.asLong();
    }
    if (product != c.listSize()) {
      return "its \"shape\" has " + (product == Long.MAX_VALUE ? "more than 2^31" : String.valueOf(product))
          + " elements, its fixed_size_list " + c.listSize();
    }
    return dimensions(meta, shape.size());
  }

  private static String variableShapeTensor(FlightSchema.Column c, String metadata) {
    List<FlightSchema.Column> fields = c.children();
    if (!is(c, ArrowType.STRUCT) || fields.size() != 2 || !is(fields.get(0), ArrowType.LIST)
        || !is(fields.get(1), ArrowType.FIXED_SIZE_LIST) || !fields.get(1).children().get(0).typeName().equals("int32")
        || fields.get(1).children().get(0).dictionaryEncoded()) {
      return storage(c, "struct<data: list, shape: fixed_size_list<int32>>", false);
    }
    JsonNode meta = object(metadata);
    if (meta == null) {
      return NOT_AN_OBJECT;
    }
    int ndim = fields.get(1).listSize();
    JsonNode uniform = meta.get("uniform_shape");
    if (uniform != null) {
      if (!uniform.isArray() || uniform.size() != ndim) {
        return "its \"uniform_shape\" is not an array of " + ndim + " dimensions";
      }
      for (JsonNode d : uniform) {
        if (!d.isNull() && (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0)) {
          return "its \"uniform_shape\" holds " + d + " (dimensions are non-negative integers or null)";
        }
      }
    }
    return dimensions(meta, ndim);
  }

  /** The optional {@code dim_names} and {@code permutation} of a tensor of {@code ndim} dimensions. */
  private static String dimensions(JsonNode meta, int ndim) {
    JsonNode names = meta.get("dim_names");
    if (names != null) {
      if (!names.isArray() || names.size() != ndim) {
        return "its \"dim_names\" is not an array of " + ndim + " names";
      }
      for (JsonNode n : names) {
        if (!n.isTextual()) {
          return "its \"dim_names\" holds " + n + " (names are strings)";
        }
      }
    }
    JsonNode permutation = meta.get("permutation");
    if (permutation != null) {
      if (!permutation.isArray() || permutation.size() != ndim) {
        return "its \"permutation\" is not an array of " + ndim + " indices";
      }
      boolean[] seen = new boolean[ndim];
      for (JsonNode p : permutation) {
        if (!p.isIntegralNumber() || !p.canConvertToInt() || p.asInt() < 0 || p.asInt() >= ndim || seen[p.asInt()]) {
          return "its \"permutation\" is not a permutation of 0 to " + (ndim - 1);
        }
        seen[p.asInt()] = true;
      }
    }
    return "";
  }

  private static String opaque(String metadata) {
    JsonNode meta = object(metadata);
    if (meta == null) {
      return NOT_AN_OBJECT;
    }
    for (String key : new String[] {"type_name", "vendor_name"}) {
      JsonNode v = meta.get(key);
      if (v == null || !v.isTextual()) {
        return "its metadata has no \"" + key + "\" string";
      }
    }
    return "";
  }
}
