package dev.hangar.storage;

import dev.hangar.config.DurableStoreConfig;
import dev.hangar.tiers.durable.DurableStore;
import dev.hangar.tiers.durable.S3DurableStore;
import dev.hangar.tiers.durable.S3Server;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

class S3DurabilityTest extends DurableStoreTestBase {
  static S3Server server;
  static int buckets;
  String bucket;

  @BeforeAll
  static void startS3() {
    server = S3Server.inProcess();
  }

  @AfterAll
  static void stopS3() {
    server.close();
  }

  @BeforeEach
  void bucket() {
    bucket = "durability-" + (++buckets);
    server.createBucket(bucket);
  }

  @Override
  DurableStoreConfig config() {
    DurableStoreConfig.S3 c = server.store("s3-test", bucket);
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
