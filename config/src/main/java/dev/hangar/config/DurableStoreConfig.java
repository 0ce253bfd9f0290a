package dev.hangar.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/** Persistent storage that survives node restarts. */
public sealed interface DurableStoreConfig {
  /** The name storage classes use to refer to this store. */
  String id();

  /** The YAML {@code type} of this store: {@code s3} or {@code filesystem}. */
  String type();

  /** An S3 bucket (AWS S3, MinIO or any S3 API). */
  record S3(
      String id,
      String bucket,
      Optional<URI> endpoint,
      Optional<String> region,
      boolean pathStyle,
      Optional<Credentials> credentials)
      implements DurableStoreConfig {
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
  record Filesystem(String id, Path path) implements DurableStoreConfig {
    @Override
    public String type() {
      return "filesystem";
    }
  }
}
