package dev.hangar.server.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hangar.config.SqlConfig;
import java.sql.SQLException;
import org.apache.arrow.memory.RootAllocator;
import org.duckdb.DuckDBConnection;
import org.junit.jupiter.api.Test;

/** The SQL engine over a real DuckDB, without a server: what it does when DuckDB gives up on its database. */
class SqlEngineTest {
  /**
   * After an internal error DuckDB invalidates its database and refuses every later query ("FATAL Error:
   * … database has been invalidated"); the engine opens a new one, once for the failed instance, and SQL
   * goes on. An ordinary error keeps the database.
   */
  @Test
  void aDatabaseDuckDbInvalidatedIsReplacedOnceAndQueriesGoOn() throws Exception {
    try (RootAllocator allocator = new RootAllocator();
        SqlEngine engine = SqlEngine.open(SqlConfig.defaults(), null, allocator)) {
      DuckDBConnection first = engine.database();
      engine.reopenIfInvalidated(first, new SQLException("Binder Error: Referenced column \"x\" not found"));
      assertThat(engine.database()).isSameAs(first);

      engine.reopenIfInvalidated(first, new SQLException("FATAL Error: Failed: database has been invalidated because of a"
          + " previous fatal error. The database must be restarted prior to being used again."));
      DuckDBConnection second = engine.database();
      assertThat(second).isNotSameAs(first);
      assertThat(first.isClosed()).isTrue();

      // a query that began on the first database and fails later does not replace the second one
      engine.reopenIfInvalidated(first, new SQLException("INTERNAL Error: Attempted to dereference unique_ptr that is NULL!"));
      assertThat(engine.database()).isSameAs(second);
      assertThat(engine.describe("SELECT 42 AS answer").dataset().getFields()).hasSize(1);

      // DuckDB's error as the cause of what Arrow's C stream export threw
      engine.reopenIfInvalidated(second, new RuntimeException(new SQLException("INTERNAL Error: Failed to cast ArrowTypeInfo")));
      assertThat(engine.database()).isNotSameAs(second);
      assertThat(second.isClosed()).isTrue();
      assertThat(engine.describe("SELECT 'still here' AS answer").dataset().getFields()).hasSize(1);
    }
  }
}
