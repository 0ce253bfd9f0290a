package dev.hangar.storage;

import dev.hangar.config.DurableStoreConfig;
import dev.hangar.tiers.durable.DurableStore;
import dev.hangar.tiers.durable.FilesystemDurableStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FilesystemDurabilityTest extends DurableStoreTestBase {
  @TempDir Path dir;

  @Override
  DurableStoreConfig config() {
    return new DurableStoreConfig.Filesystem("local", dir, 2, 8);
  }

  @Override
  DurableStore openDurable() {
    FilesystemDurableStore s = new FilesystemDurableStore("local", dir);
    s.check();
    return s;
  }
}
