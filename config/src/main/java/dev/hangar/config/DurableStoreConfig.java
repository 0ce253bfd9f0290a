package dev.hangar.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Persistent storage that survives node restarts. */
public sealed interface DurableStoreConfig {
  int DEFAULT_WRITERS = 4;
  int DEFAULT_WEAK_QUEUE = 256;
  long DEFAULT_PART_SIZE = 8L << 20;
  long MIN_PART_SIZE = 5L << 20;
  Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** The name storage classes use to refer to this store. */
  String id();

  /** The YAML {@code type} of this store: {@code s3} or {@code filesystem}. */
  String type();

  /** Durable writes (and S3 part uploads) that may run at once. */
  int writers();

  /** Weak flights that may wait for their durable copy at once; beyond that weak puts are refused. */
  int weakQueue();

  /** An S3 bucket (AWS S3, MinIO or any S3 API). */
  record S3(
      String id,
      String bucket,
      Optional<URI> endpoint,
      Optional<String> region,
      boolean pathStyle,
      Optional<Credentials> credentials,
      int writers,
      int weakQueue,
      long partSize,
      Duration timeout)
      implements DurableStoreConfig {
    /** A store with the default tuning. */
    public S3(String id, String bucket, Optional<URI> endpoint, Optional<String> region, boolean pathStyle,
        Optional<Credentials> credentials) {
      this(id, bucket, endpoint, region, pathStyle, credentials, DEFAULT_WRITERS, DEFAULT_WEAK_QUEUE, DEFAULT_PART_SIZE,
          DEFAULT_TIMEOUT);
    }

    @Override
    public String type() {
      return "s3";
    }
  }

  /** Static S3 credentials; without them the AWS default chain (env, profile, role) applies. */
  record Credentials(String accessKeyId, String secretAccessKey) {
    @Override
    public String toString() {
      return "Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***]";
    }
  }

  /** A local or network directory. */
  record Filesystem(String id, Path path, int writers, int weakQueue) implements DurableStoreConfig {
    /** A store with the default tuning. */
    public Filesystem(String id, Path path) {
      this(id, path, DEFAULT_WRITERS, DEFAULT_WEAK_QUEUE);
    }

    @Override
    public String type() {
      return "filesystem";
    }
  }
}
