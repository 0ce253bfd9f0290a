package dev.hangar.tiers.durable;

import dev.hangar.config.DurableStoreConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 API server for tests (S3Proxy, no Docker), on 127.0.0.1: in this JVM, or as a child
 * process that a test can kill and start again on the same port and data directory.
 */
public final class S3Server implements AutoCloseable {
  public static final String KEY = "hangar-test-key";
  public static final String SECRET = "hangar-test-secret";

  private final S3Proxy proxy; // in-process only
  private final Path dataDir; // child process only
  private Process process;
  private final int port;

  private S3Server(S3Proxy proxy, Path dataDir, int port) {
    this.proxy = proxy;
    this.dataDir = dataDir;
    this.port = port;
  }

  /** S3Proxy in this JVM, storing in memory. */
  public static S3Server inProcess() {
    return inProcess(new TransientNio2BlobStore());
  }

  /** S3Proxy in this JVM, storing objects as files under {@code dir}. */
  public static S3Server inProcess(Path dir) {
    return inProcess(new FilesystemNio2BlobStore(dir.toString()));
  }

  private static S3Server inProcess(BlobStore blobs) {
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobs)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY, SECRET)
            .build();
    try {
      proxy.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        }
        Thread.sleep(5);
      }
    } catch (Exception e) {
      throw new IllegalStateException("Cannot start S3Proxy", e);
    }
    return new S3Server(proxy, null, proxy.getPort());
  }

  /** S3Proxy in a child JVM (this JVM's class path), storing under {@code dir}; started at once. */
  public static S3Server childProcess(Path dir) {
    S3Server s = new S3Server(null, dir, freePort());
    s.start();
    return s;
  }

  /** Starts the child process (again) on the same port and data directory. */
  public synchronized void start() {
    if (dataDir == null) {
      throw new IllegalStateException("only a child-process S3 server can be restarted");
    }
    try {
      Files.createDirectories(dataDir);
      Path props = dataDir.resolveSibling(dataDir.getFileName() + ".properties");
      Files.writeString(props, String.join("\n",
          "s3proxy.endpoint=http://127.0.0.1:" + port,
          "s3proxy.authorization=aws-v2-or-v4",
          "s3proxy.identity=" + KEY,
          "s3proxy.credential=" + SECRET,
          "jclouds.provider=filesystem-nio2",
          "jclouds.identity=" + KEY,
          "jclouds.credential=" + SECRET,
          "jclouds.filesystem.basedir=" + dataDir.toAbsolutePath()));
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      process = new ProcessBuilder(List.of(java.toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
              "org.gaul.s3proxy.Main", "--properties", props.toString()))
          .redirectErrorStream(true)
          .redirectOutput(dataDir.resolveSibling(dataDir.getFileName() + ".log").toFile())
          .start();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!listening()) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy child did not start; see " + dataDir.getFileName() + ".log");
        }
        Thread.sleep(50);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops the child process where it is (SIGSTOP): it keeps its connections and answers nothing until {@link #resume}. */
  public synchronized void pause() {
    signal("STOP");
  }

  /** Lets a {@link #pause}d child process run again (SIGCONT). */
  public synchronized void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    if (process == null) {
      throw new IllegalStateException("no child process");
    }
    try {
      int exit = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
      if (exit != 0) {
        throw new IllegalStateException("kill -" + name + " failed: " + exit);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Kills the child process (SIGKILL) and waits until it is gone. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  private boolean listening() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** A plain AWS SDK client for this server (to create buckets and look at objects behind Hangar's back). */
  public S3Client client() {
    return S3Client.builder()
        .endpointOverride(endpoint())
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(KEY, SECRET)))
        .build();
  }

  public void createBucket(String bucket) {
    try (S3Client s3 = client()) {
      s3.createBucket(b -> b.bucket(bucket));
    }
  }

  /** A store config for {@code bucket} on this server; {@code timeout} short so outages show fast. */
  public DurableStoreConfig.S3 store(String id, String bucket) {
    return new DurableStoreConfig.S3(id, bucket, Optional.of(endpoint()), Optional.of("us-east-1"), true,
        Optional.of(new DurableStoreConfig.Credentials(KEY, SECRET)), 4, 256, DurableStoreConfig.MIN_PART_SIZE,
        Duration.ofSeconds(2));
  }

  /** The same store as YAML, for server configs. */
  public String storeYaml(String id, String bucket) {
    return "  - id: " + id + "\n    type: s3\n    bucket: " + bucket + "\n    endpoint: " + endpoint()
        + "\n    region: us-east-1\n    pathStyle: true\n    timeout: 2s\n    partSize: 5MiB\n    credentials:\n      accessKeyId: " + KEY
        + "\n      secretAccessKey: " + SECRET + "\n";
  }

  /**
   * One in-process S3 server for a test class, with a fresh bucket per test: {@code @RegisterExtension
   * static final S3Server.PerClass s3 = new S3Server.PerClass();} then {@code s3.newBucket("x")}.
   */
  public static final class PerClass implements org.junit.jupiter.api.extension.BeforeAllCallback,
      org.junit.jupiter.api.extension.AfterAllCallback {
    private S3Server server;
    private int buckets;

    @Override
    public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) {
      server = inProcess();
    }

    @Override
    public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) {
      server.close();
    }

    public S3Server server() {
      return server;
    }

    /** Creates a bucket no other test of the class uses, and returns its name. */
    public String newBucket(String prefix) {
      String bucket = prefix + "-" + (++buckets);
      server.createBucket(bucket);
      return bucket;
    }
  }

  @Override
  public void close() {
    if (proxy != null) {
      try {
        proxy.stop();
      } catch (Exception e) {
        throw new IllegalStateException("Cannot stop S3Proxy", e);
      }
    }
    kill();
  }
}
