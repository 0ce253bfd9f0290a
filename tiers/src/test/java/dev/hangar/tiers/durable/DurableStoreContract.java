package dev.hangar.tiers.durable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hangar.tiers.durable.DurableStore.ObjectInfo;
import dev.hangar.tiers.durable.DurableStore.ObjectUpload;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link DurableStore} promises; each implementation's test runs all of it. */
abstract class DurableStoreContract {
  protected DurableStore store;

  protected abstract DurableStore newStore();

  @BeforeEach
  void open() {
    store = newStore();
    store.check();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  void put(String key, byte[] data) throws IOException {
    try (ObjectUpload up = store.create(key)) {
      OutputStream out = up.stream();
      // odd-sized writes, to cross part boundaries anywhere
      for (int off = 0; off < data.length; ) {
        int n = Math.min(data.length - off, 1 + off % 777_777);
        out.write(data, off, n);
        off += n;
      }
      up.commit();
    }
  }

  byte[] get(String key) throws IOException {
    try (InputStream in = store.read(key).orElseThrow()) {
      return in.readAllBytes();
    }
  }

  @Test
  void committedObjectReadsBackWhole() throws IOException {
    byte[] data = bytes(100_000, 1);
    put("a/b/c.arrow", data);
    assertThat(get("a/b/c.arrow")).isEqualTo(data);
    assertThat(store.head("a/b/c.arrow")).get().extracting(ObjectInfo::size).isEqualTo(100_000L);
    assertThat(store.readRange("a/b/c.arrow", 99_990, 10)).isEqualTo(java.util.Arrays.copyOfRange(data, 99_990, 100_000));
  }

  @Test
  void emptyObject() throws IOException {
    put("empty.arrow", new byte[0]);
    assertThat(get("empty.arrow")).isEmpty();
    assertThat(store.head("empty.arrow")).get().extracting(ObjectInfo::size).isEqualTo(0L);
  }

  @Test
  void objectLargerThanSeveralPartsStreamsThrough() throws IOException {
    byte[] data = bytes(17 * 1024 * 1024 + 123, 2);
    put("big.arrow", data);
    assertThat(get("big.arrow")).isEqualTo(data);
    assertThat(store.list("")).extracting(ObjectInfo::key).containsExactly("big.arrow");
  }

  @Test
  void nothingIsVisibleBeforeCommitAndAbortLeavesNothing() throws IOException {
    ObjectUpload up = store.create("x/pending.arrow");
    up.stream().write(bytes(6 * 1024 * 1024, 3)); // past one part: a multipart upload is under way
    assertThat(store.head("x/pending.arrow")).isEmpty();
    assertThat(store.list("x/")).isEmpty();
    up.abort();
    up.abort(); // idempotent
    assertThat(store.head("x/pending.arrow")).isEmpty();
    assertThat(store.read("x/pending.arrow")).isEmpty();
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void overwriteReplacesTheWholeObject() throws IOException {
    byte[] first = bytes(7 * 1024 * 1024, 4);
    byte[] second = bytes(3 * 1024, 5);
    put("k.arrow", first);
    put("k.arrow", second);
    assertThat(get("k.arrow")).isEqualTo(second);
    assertThat(store.list("")).hasSize(1);
  }

  @Test
  void aReaderThatStartedBeforeAnOverwriteGetsTheOldObjectWhole() throws IOException {
    byte[] first = bytes(2 * 1024 * 1024, 6);
    byte[] second = bytes(2 * 1024 * 1024, 7);
    put("r.arrow", first);
    try (InputStream in = store.read("r.arrow").orElseThrow()) {
      byte[] head = in.readNBytes(1000);
      put("r.arrow", second);
      byte[] rest = in.readAllBytes();
      byte[] all = new byte[head.length + rest.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(rest, 0, all, head.length, rest.length);
      assertThat(all).isEqualTo(first);
    }
    assertThat(get("r.arrow")).isEqualTo(second);
  }

  @Test
  void listFiltersByPrefixInKeyOrder() throws IOException {
    for (String k : new String[] {"p/b.arrow", "p/a/x.arrow", "q/a.arrow", "p/a.arrow", "pz.arrow"}) {
      put(k, bytes(10, k.hashCode()));
    }
    assertThat(store.list("p/")).extracting(ObjectInfo::key).containsExactly("p/a.arrow", "p/a/x.arrow", "p/b.arrow");
    assertThat(store.list("p/a")).extracting(ObjectInfo::key).containsExactly("p/a.arrow", "p/a/x.arrow");
    assertThat(store.list("p")).hasSize(4);
    assertThat(store.list("nothing/")).isEmpty();
  }

  @Test
  void deleteIsIdempotentAndMissingObjectsAreEmpty() throws IOException {
    put("d.arrow", bytes(10, 8));
    store.delete("d.arrow");
    store.delete("d.arrow");
    store.delete("never/was.arrow");
    assertThat(store.head("d.arrow")).isEmpty();
    assertThat(store.read("d.arrow")).isEmpty();
    assertThat(store.head("never/was.arrow")).isEmpty();
  }

  @Test
  void writesAbandonedByACrashAreRemovedByTheirAge() throws IOException {
    ObjectUpload crashed = store.create("c/crashed.arrow");
    crashed.stream().write(bytes(6 * 1024 * 1024, 11)); // past one part: an incomplete multipart upload on S3
    crashed.stream().flush();
    put("c/kept.arrow", bytes(10, 12));
    assertThat(store.removeAbandonedWrites("c/", java.time.Instant.now().minusSeconds(3600))).isZero(); // too young
    assertThat(store.removeAbandonedWrites("other/", java.time.Instant.now().plusSeconds(5))).isZero(); // another prefix
    assertThat(store.removeAbandonedWrites("c/", java.time.Instant.now().plusSeconds(5))).isEqualTo(1);
    assertThat(store.list("")).extracting(ObjectInfo::key).containsExactly("c/kept.arrow");
    assertThat(get("c/kept.arrow")).isEqualTo(bytes(10, 12));
    crashed.abort(); // what is left to abort is gone already: no error
  }

  @Test
  void failuresNameTheStore() {
    assertThatThrownBy(() -> store.readRange("missing.arrow", 0, 10))
        .isInstanceOf(DurableStoreException.class)
        .hasMessageContaining(store.describe());
  }
}
