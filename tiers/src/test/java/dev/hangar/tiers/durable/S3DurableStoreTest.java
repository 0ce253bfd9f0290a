package dev.hangar.tiers.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.config.DurableStoreConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.s3.S3Client;

class S3DurableStoreTest extends DurableStoreContract {
  @RegisterExtension static final S3Server.PerClass S3 = new S3Server.PerClass();
  String bucket;

  @Override
  protected DurableStore newStore() {
    bucket = S3.newBucket("contract");
    return new S3DurableStore(S3.server().store("s3-test", bucket));
  }

  @Test
  void abortedAndCommittedUploadsLeaveNoMultipartUploadsBehind() throws IOException {
    put("m.arrow", bytes(12 * 1024 * 1024, 9));
    try (DurableStore.ObjectUpload up = store.create("n.arrow")) {
      up.stream().write(bytes(11 * 1024 * 1024, 10));
    } // closed without commit: aborted
    try (S3Client s3 = S3.server().client()) {
      assertThat(s3.listMultipartUploads(b -> b.bucket(bucket)).uploads()).isEmpty();
    }
    assertThat(store.list("")).extracting(DurableStore.ObjectInfo::key).containsExactly("m.arrow");
  }

  @Test
  void aMissingBucketIsAClearStartupError() {
    try (S3DurableStore s = new S3DurableStore(S3.server().store("s3-test", "no-such-bucket"))) {
      assertThatThrownBy(s::check)
          .isInstanceOf(DurableStoreException.class)
          .hasMessage("s3 store \"s3-test\" (bucket no-such-bucket at " + S3.server().endpoint()
              + "): bucket no-such-bucket does not exist (create it first)");
    }
  }

  @Test
  void aDeadEndpointFailsInSecondsNamingTheStore() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    DurableStoreConfig.S3 dead = new DurableStoreConfig.S3("gone", "b", Optional.of(URI.create("http://127.0.0.1:" + port)),
        Optional.of("us-east-1"), true, Optional.of(new DurableStoreConfig.Credentials("k", "s")), 2, 8,
        DurableStoreConfig.MIN_PART_SIZE, Duration.ofSeconds(2));
    try (S3DurableStore s = new S3DurableStore(dead)) {
      long start = System.nanoTime();
      DurableStore.ObjectUpload up = s.create("x.arrow");
      up.stream().write(new byte[100]);
      assertThatThrownBy(up::commit)
          .isInstanceOf(DurableStoreException.class)
          .hasMessageStartingWith("s3 store \"gone\" (bucket b at http://127.0.0.1:" + port + "): cannot write x.arrow: ");
      assertThatThrownBy(s::check).hasMessageContaining("cannot be reached");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }
  }
}
