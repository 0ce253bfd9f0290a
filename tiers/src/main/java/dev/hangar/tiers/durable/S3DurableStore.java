package dev.hangar.tiers.durable;

import dev.hangar.config.DurableStoreConfig;
import dev.hangar.config.Sizes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A durable store in an S3 bucket (AWS S3, MinIO, any S3 API), with the AWS SDK v2's synchronous
 * client. Objects up to one part are written with one PUT; larger ones stream through a multipart
 * upload whose parts ({@code partSize} each, at most {@code writers} of them in flight per object)
 * are the only copy in heap, so a flight is never held whole in memory. S3 makes a PUT or a
 * completed multipart upload visible atomically; a failed one is aborted.
 *
 * <p>Failure budget: connecting may take 2 s, any call waits at most {@code timeout} for bytes,
 * and a call is tried 3 times, so a dead endpoint fails a write within seconds, not minutes.
 */
public final class S3DurableStore implements DurableStore {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(S3DurableStore.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final DurableStoreConfig.S3 config;
  private final S3Client s3;
  private final String bucket;
  private final ExecutorService parts;

  public S3DurableStore(DurableStoreConfig.S3 config) {
    this.config = config;
    this.bucket = config.bucket();
    Duration timeout = config.timeout();
    AwsCredentialsProvider credentials =
        config.credentials()
            .<AwsCredentialsProvider>map(c -> StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
            .orElseGet(() -> DefaultCredentialsProvider.builder().build());
    var builder =
        S3Client.builder()
            .httpClientBuilder(
                Apache5HttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(2))
                    .socketTimeout(timeout)
                    .connectionAcquisitionTimeout(timeout)
                    .maxConnections(Math.max(16, config.writers() * 4)))
            .region(region(config))
            .credentialsProvider(credentials)
            .forcePathStyle(config.pathStyle())
            // Hangar checks its own CRC32C (in the object's footer); S3-compatible servers differ in the SDK's newer checksum headers.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .overrideConfiguration(o -> o.retryStrategy(r -> r.maxAttempts(3)).apiCallAttemptTimeout(timeout.multipliedBy(6)));
    config.endpoint().ifPresent(builder::endpointOverride);
    this.s3 = builder.build();
    this.parts =
        Executors.newFixedThreadPool(
            Math.max(2, config.writers() * 2),
            r -> {
              Thread t = new Thread(r, "hangar-s3-" + config.id() + "-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  private static Region region(DurableStoreConfig.S3 config) {
    if (config.region().isPresent()) {
      return Region.of(config.region().get());
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkException e) {
      LOG.info("Durable store \"{}\": no region configured or found in the environment; using us-east-1", config.id());
      return Region.US_EAST_1;
    }
  }

  @Override
  public String id() {
    return config.id();
  }

  @Override
  public String describe() {
    return "s3 store \"" + config.id() + "\" (bucket " + bucket + config.endpoint().map(e -> " at " + e).orElse("") + ")";
  }

  @Override
  public void check() {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (NoSuchBucketException e) {
      throw new DurableStoreException(describe() + ": bucket " + bucket + " does not exist (create it first)", e);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new DurableStoreException(describe() + ": bucket " + bucket + " does not exist (create it first)", e);
      }
      throw new DurableStoreException(describe() + ": cannot use bucket " + bucket + " (HTTP " + e.statusCode() + ": "
          + e.awsErrorDetails().errorMessage() + "; check the credentials and the bucket's policy)", e);
    } catch (SdkException e) {
      throw failure("cannot be reached", e);
    }
  }

  @Override
  public void checkKey(String key) {
    int bytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (bytes > 1024) {
      throw new IllegalArgumentException("its object key would be " + bytes + " bytes, and S3 keys have at most 1024");
    }
  }

  @Override
  public ObjectUpload create(String key) {
    return new Upload(key);
  }

  /**
   * Buffers one part at a time; the first full part starts a multipart upload. Parts upload on the
   * store's executor, at most {@code writers} per object at once (the stream blocks beyond that).
   */
  private final class Upload extends OutputStream implements ObjectUpload {
    private final String key;
    private final int partSize = (int) config.partSize();
    private final Semaphore inFlight = new Semaphore(config.writers());
    private final List<CompletableFuture<CompletedPart>> done = new ArrayList<>();
    private byte[] part;
    private int filled;
    private String uploadId;
    private boolean finished;

    Upload(String key) {
      this.key = key;
    }

    @Override
    public OutputStream stream() {
      return this;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (finished) {
        throw new IOException("Upload of " + key + " already finished");
      }
      while (len > 0) {
        if (part == null) {
          part = new byte[partSize];
          filled = 0;
        }
        int n = Math.min(len, partSize - filled);
        System.arraycopy(b, off, part, filled, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == partSize) {
          sendPart();
        }
      }
    }

    private void sendPart() throws IOException {
      try {
        if (uploadId == null) {
          uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(key)).uploadId();
        }
        failFast();
        inFlight.acquire();
        byte[] bytes = part;
        int length = filled;
        int number = done.size() + 1;
        part = null;
        filled = 0;
        done.add(CompletableFuture.supplyAsync(() -> {
          try {
            String etag = s3.uploadPart(
                r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(number).contentLength((long) length),
                RequestBody.fromInputStream(new ByteArrayInputStream(bytes, 0, length), length)).eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
          } finally {
            inFlight.release();
          }
        }, parts));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("Interrupted while uploading " + key, e);
      } catch (SdkException e) {
        throw new IOException(e);
      }
    }

    /** Surfaces a failed part at the next write instead of at commit. */
    private void failFast() throws IOException {
      for (CompletableFuture<CompletedPart> f : done) {
        if (f.isCompletedExceptionally()) {
          try {
            f.join();
          } catch (RuntimeException e) {
            throw new IOException(e.getCause() != null ? e.getCause() : e);
          }
        }
      }
    }

    @Override
    public void prepare() {
      if (!finished && uploadId != null) { // a small object is one PUT: sending it is making it visible
        finish(false);
      }
    }

    @Override
    public void commit() {
      if (finished) {
        throw new IllegalStateException("Upload of " + key + " already finished");
      }
      finish(true);
    }

    /** Sends the last part and waits for all of them; with {@code complete}, makes the object visible. */
    private void finish(boolean complete) {
      try {
        if (uploadId == null) {
          int length = filled;
          byte[] bytes = part == null ? new byte[0] : part;
          s3.putObject(r -> r.bucket(bucket).key(key).contentLength((long) length),
              RequestBody.fromInputStream(new ByteArrayInputStream(bytes, 0, length), length));
        } else {
          if (filled > 0) {
            sendPart();
          }
          List<CompletedPart> completed = new ArrayList<>(done.size());
          for (CompletableFuture<CompletedPart> f : done) {
            completed.add(f.get());
          }
          if (!complete) {
            return;
          }
          s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(completed)));
        }
        finished = true;
        part = null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        abort();
        throw failure("interrupted while writing " + key, e);
      } catch (ExecutionException | IOException | SdkException e) {
        abort();
        Throwable cause = e instanceof ExecutionException || e instanceof IOException && e.getCause() != null ? e.getCause() : e;
        throw failure("cannot write " + key, cause);
      }
    }

    @Override
    public void abort() {
      if (finished) {
        return;
      }
      finished = true;
      part = null;
      for (CompletableFuture<CompletedPart> f : done) {
        f.cancel(false);
      }
      if (uploadId != null) {
        try {
          s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId));
        } catch (SdkException e) {
          LOG.warn("{}: could not abort the multipart upload of {} ({}); the bucket's lifecycle rule for incomplete uploads"
              + " will have to remove it", describe(), key, e.getMessage());
        }
      }
    }

    @Override
    public void close() {
      abort();
    }
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    return unlessMissing(key, () -> {
      HeadObjectResponse r = s3.headObject(b -> b.bucket(bucket).key(key));
      return new ObjectInfo(key, r.contentLength(), r.lastModified());
    });
  }

  @Override
  public Optional<InputStream> read(String key) {
    return unlessMissing(key, () -> new AbortingStream(s3.getObject(b -> b.bucket(bucket).key(key))));
  }

  /** Runs a request on {@code key}; empty if the object does not exist (HTTP 404). */
  private <T> Optional<T> unlessMissing(String key, java.util.function.Supplier<T> request) {
    try {
      return Optional.of(request.get());
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw failure("cannot read " + key, e);
    } catch (SdkException e) {
      throw failure("cannot read " + key, e);
    }
  }

  /** Closing before the end aborts the connection instead of draining the rest of a large object. */
  private static final class AbortingStream extends java.io.FilterInputStream {
    private final ResponseInputStream<GetObjectResponse> response;
    private boolean ended;

    AbortingStream(ResponseInputStream<GetObjectResponse> response) {
      super(response);
      this.response = response;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      ended |= b < 0;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      ended |= n < 0;
      return n;
    }

    @Override
    public void close() throws IOException {
      if (!ended) {
        response.abort();
      }
      super.close();
    }
  }

  @Override
  public byte[] readRange(String key, long offset, int length) {
    try {
      return s3.getObjectAsBytes(b -> b.bucket(bucket).key(key).range("bytes=" + offset + "-" + (offset + length - 1))).asByteArray();
    } catch (SdkException e) {
      throw failure("cannot read " + key, e);
    }
  }

  @Override
  public List<ObjectInfo> list(String prefix) {
    List<ObjectInfo> out = new ArrayList<>();
    forEach(prefix, out::add); // S3 lists in key order
    return out;
  }

  @Override
  public void forEach(String prefix, java.util.function.Consumer<ObjectInfo> each) {
    try {
      // the paginator fetches the next page of up to 1,000 keys only when this loop reaches it
      for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
        each.accept(new ObjectInfo(o.key(), o.size(), o.lastModified()));
      }
    } catch (SdkException e) {
      throw failure("cannot list " + prefix, e);
    }
  }

  @Override
  public void delete(String key) {
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      throw failure("cannot delete " + key, e);
    }
  }

  @Override
  public int removeAbandonedWrites(String prefix, java.time.Instant before) {
    try {
      int n = 0;
      for (var upload : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
        if (upload.initiated().isBefore(before)) {
          s3.abortMultipartUpload(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
          n++;
        }
      }
      return n;
    } catch (SdkException e) {
      throw failure("cannot list or abort incomplete uploads under " + prefix, e);
    }
  }

  private DurableStoreException failure(String what, Throwable e) {
    return new DurableStoreException(describe() + ": " + what + ": " + e.getMessage(), e);
  }

  @Override
  public void close() {
    parts.shutdownNow();
    s3.close();
  }

  @Override
  public String toString() {
    return describe() + ", parts of " + Sizes.format(config.partSize());
  }
}
