package dev.hangar.tiers.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemDurableStoreTest extends DurableStoreContract {
  @TempDir Path dir;

  @Override
  protected DurableStore newStore() {
    return new FilesystemDurableStore("local", dir.resolve("durable"));
  }

  @Test
  void objectsArePlainFilesAtTheirKeys() throws IOException {
    put("cache/t1/report.arrow", bytes(10, 1));
    assertThat(dir.resolve("durable/cache/t1/report.arrow")).isRegularFile();
    try (var files = Files.list(dir.resolve("durable/cache/t1"))) {
      assertThat(files).hasSize(1); // the temporary file is gone
    }
  }

  @Test
  void aMissingRootIsAnOutageNotANewDirectory() {
    Path root = dir.resolve("durable");
    store.check();
    assertThat(root.toFile().renameTo(dir.resolve("elsewhere").toFile())).isTrue();
    assertThatThrownBy(() -> store.create("a.arrow"))
        .isInstanceOf(DurableStoreException.class)
        .hasMessageContaining("filesystem store \"local\"")
        .hasMessageContaining("is missing (was the volume unmounted?)");
    assertThat(root).doesNotExist();
  }

  @Test
  void temporaryFilesAreNeverListed() throws IOException {
    DurableStore.ObjectUpload up = store.create("a/b.arrow");
    up.stream().write(new byte[] {1, 2, 3});
    assertThat(store.list("")).isEmpty();
    try (var files = Files.list(dir.resolve("durable/a"))) {
      assertThat(files.toList()).hasSize(1).allSatisfy(f -> assertThat(f.getFileName().toString()).startsWith(".hangar-"));
    }
    up.abort();
  }

  @Test
  void aFlightWhoseNameLooksTemporaryIsStillAnObject() throws IOException {
    put("a/.hangar-x.tmp.arrow", bytes(10, 1));
    assertThat(store.list("a/")).extracting(DurableStore.ObjectInfo::key).containsExactly("a/.hangar-x.tmp.arrow");
    assertThat(store.removeAbandonedWrites("", java.time.Instant.now().plusSeconds(5))).isZero();
  }

  @Test
  void namesLongerThanAFileNameAreRefusedUpFront() {
    store.checkKey("a/" + "x".repeat(255));
    assertThatThrownBy(() -> store.checkKey("a/" + "x".repeat(250) + ".arrow"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageEndingWith("is 256 bytes, and a file name in filesystem store \"local\" (" + dir.resolve("durable") + ") can have at most 255");
  }

  @Test
  void keysCannotEscapeTheRoot() {
    assertThatThrownBy(() -> store.create("../outside.arrow")).isInstanceOf(IllegalArgumentException.class);
  }
}
