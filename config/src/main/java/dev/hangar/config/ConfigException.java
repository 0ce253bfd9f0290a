package dev.hangar.config;

import java.util.List;

/** A config that cannot be used; {@link #errors()} lists every mistake found, each naming its YAML path. */
public final class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient List<String> errors;

  public ConfigException(String source, List<String> errors) {
    super(render(source, errors));
    this.errors = List.copyOf(errors);
  }

  /** One line per mistake, e.g. {@code storageClasses[2].tiers[0].maxFlightSize: "12XB" is not a size (…)}. */
  public List<String> errors() {
    return errors;
  }

  private static String render(String source, List<String> errors) {
    StringBuilder sb = new StringBuilder("Cannot use config ").append(source).append(": ");
    sb.append(errors.size() == 1 ? "1 error" : errors.size() + " errors");
    for (String e : errors) {
      sb.append("\n  ").append(e);
    }
    return sb.toString();
  }
}
