package dev.hangar.server;

import dev.hangar.config.HangarConfig;
import dev.hangar.config.StorageClassConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings the config schema accepts but this build does not act on yet. The server refuses to
 * start with any of them rather than silently ignore a promise (replicas) the
 * operator wrote down.
 */
final class Unsupported {
  private Unsupported() {}

  /** One line per setting this build cannot honour, naming its YAML path. Empty if it can serve the config. */
  static List<String> find(HangarConfig config) {
    List<String> out = new ArrayList<>();
    List<StorageClassConfig> classes = config.storageClasses();
    for (int i = 0; i < classes.size(); i++) {
      StorageClassConfig c = classes.get(i);
      String path = "storageClasses[" + i + "]";
      if (c.replicas() != 1) {
        out.add(path + ".replicas: " + c.replicas() + " needs multi-node mode, which this build does not have (use 1)");
      }
    }
    return out;
  }
}
