package dev.hangar.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Checks the store's invariants after every storage test (registered for the whole module through
 * {@code META-INF/services}): each {@link FlightStore} field of the test instance must satisfy
 * {@link FlightStore#problemsAtRest()}: bytes per storage type against the catalog and capacity,
 * files on disk, queues, class counters, and the limit-policy ledger against the flights. It runs
 * right after the test method, before {@code @AfterEach} closes anything; leases still held are
 * allowed. Allocators are checked by each test closing its {@code RootAllocator}. The randomized
 * tests, whose stores live in their runs, call {@link FlightStore#problems()} themselves.
 */
public final class StoreInvariantsExtension implements AfterTestExecutionCallback {
  @Override
  public void afterTestExecution(ExtensionContext context) throws IllegalAccessException {
    if (context.getExecutionException().isPresent()) {
      return; // the test failed already: its store may be mid-operation
    }
    Object test = context.getRequiredTestInstance();
    for (Class<?> c = test.getClass(); c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (FlightStore.class.isAssignableFrom(f.getType())) {
          f.setAccessible(true);
          FlightStore store = (FlightStore) f.get(test);
          if (store != null) {
            assertThat(store.problemsAtRest()).as("store invariants after %s", context.getDisplayName()).isEmpty();
          }
        }
      }
    }
  }
}
