package dev.hangar.storage.idempotency;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.hangar.storage.DurableStoreUnavailableException;
import dev.hangar.storage.FlightSummary;
import dev.hangar.storage.InvalidUploadException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Exactly-once puts (DESIGN §4): a put that carries {@code x-hangar-idempotency-key} is known by
 * that key and its path for {@code idempotencyWindow}. A retry with the same key and path gets the
 * first put's result and stores nothing; one that arrives while the first is still running waits
 * for it (if the first fails, the retry stores). The same key on another path is another put.
 *
 * <p>Results are kept in a bounded Caffeine cache that expires them after the window. Keys of
 * durable flights are also written into the durable object's footer, so a retry after a restart
 * (or after the cache let the key go) is recognised from the catalog: see the {@code durable}
 * look-up passed to {@link #claim}.
 */
public final class IdempotentPuts {
  /** Keys remembered at most (each holds a flight summary); the oldest go first beyond it. */
  private static final long MAX_KEYS = 1_000_000;
  /** How long a retry waits for the first put to finish before it is told to come back. */
  private static final Duration WAIT_FOR_FIRST = Duration.ofMinutes(5);

  private record Key(String path, String key) {}

  private final Cache<Key, CompletableFuture<FlightSummary>> results;
  private final Duration window;

  public IdempotentPuts(Duration window, Ticker ticker) {
    this.window = window;
    this.results = Caffeine.newBuilder()
        .expireAfterWrite(window)
        .maximumSize(MAX_KEYS)
        .ticker(ticker)
        .recordStats()
        .build();
  }

  public Duration window() {
    return window;
  }

  public Cache<?, ?> cache() {
    return results;
  }

  /**
   * Throws {@link InvalidUploadException} unless {@code key} is 1 to 256 printable ASCII characters.
   */
  public static void validate(String key) {
    boolean printable = key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e);
    if (key.isEmpty() || key.length() > 256 || !printable) {
      throw new InvalidUploadException("Invalid header x-hangar-idempotency-key: it must be 1 to 256 printable ASCII"
          + " characters (got %d character(s)%s)", key.length(), printable ? "" : ", some not printable ASCII");
    }
  }

  /** What a put with a key is to do. */
  public sealed interface Claim permits Owner, Replay {}

  /** This put is the first with its key and path: it stores, then reports how it ended. */
  public final class Owner implements Claim {
    private final Key key;
    private final CompletableFuture<FlightSummary> result;

    private Owner(Key key, CompletableFuture<FlightSummary> result) {
      this.key = key;
      this.result = result;
    }

    public void succeeded(FlightSummary summary) {
      result.complete(summary);
    }

    /** The put failed: a retry may store. */
    public void failed() {
      results.asMap().remove(key, result);
      result.completeExceptionally(new IllegalStateException("the first put failed"));
    }
  }

  /** An earlier put with this key and path succeeded: answer with its result, store nothing. */
  public record Replay(FlightSummary summary) implements Claim {}

  /**
   * Claims {@code key} for a put of {@code path}. {@code durable} finds the result of a put with
   * this key in the catalog (a durable flight that carries it, committed within the window); it is
   * asked only when the cache does not know the key.
   */
  public Claim claim(String path, String key, Supplier<Optional<FlightSummary>> durable) {
    Key k = new Key(path, key);
    while (true) {
      CompletableFuture<FlightSummary> mine = new CompletableFuture<>();
      CompletableFuture<FlightSummary> first = results.asMap().putIfAbsent(k, mine);
      if (first == null) {
        Optional<FlightSummary> earlier;
        try {
          earlier = durable.get();
        } catch (RuntimeException e) {
          results.asMap().remove(k, mine);
          mine.completeExceptionally(e);
          throw e;
        }
        if (earlier.isPresent()) {
          mine.complete(earlier.get());
          return new Replay(earlier.get());
        }
        return new Owner(k, mine);
      }
      try {
        return new Replay(first.get(WAIT_FOR_FIRST.toMillis(), TimeUnit.MILLISECONDS));
      } catch (ExecutionException e) {
        results.asMap().remove(k, first); // the first failed (its owner removed it already): claim again
      } catch (TimeoutException e) {
        throw new DurableStoreUnavailableException("Cannot store flight \"%s\": a put with the same idempotency key is still"
            + " running after %d minutes; retry later with the same key", path, WAIT_FOR_FIRST.toMinutes());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new DurableStoreUnavailableException("Cannot store flight \"%s\": interrupted while waiting for the put with the"
            + " same idempotency key", path);
      }
    }
  }
}
