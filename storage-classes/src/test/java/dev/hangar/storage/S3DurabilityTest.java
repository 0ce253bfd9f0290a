package dev.hangar.storage;

import dev.hangar.config.DurableStoreConfig;
import dev.hangar.tiers.durable.DurableStore;
import dev.hangar.tiers.durable.S3DurableStore;
import dev.hangar.tiers.durable.S3Server;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

class S3DurabilityTest extends DurableStoreTestBase {
  @RegisterExtension static final S3Server.PerClass S3 = new S3Server.PerClass();
  String bucket;

  @BeforeEach
  void bucket() {
    bucket = S3.newBucket("durability");
  }

  @Override
  DurableStoreConfig config() {
    DurableStoreConfig.S3 c = S3.server().store("s3-test", bucket);
    return new DurableStoreConfig.S3(c.id(), c.bucket(), c.endpoint(), c.region(), c.pathStyle(), c.credentials(), 2, 8,
        c.partSize(), Duration.ofSeconds(2));
  }

  @Override
  DurableStore openDurable() {
    S3DurableStore s = new S3DurableStore((DurableStoreConfig.S3) config());
    s.check();
    return s;
  }
}
