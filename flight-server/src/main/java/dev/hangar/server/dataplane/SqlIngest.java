package dev.hangar.server.dataplane;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.hangar.server.Errors;
import dev.hangar.server.sql.SqlEngine;
import dev.hangar.storage.FlightNotFoundException;
import dev.hangar.storage.FlightStore;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableExistsOption;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandStatementIngest.TableDefinitionOptions.TableNotExistOption;
import org.apache.arrow.flight.sql.impl.FlightSql.DoPutUpdateResult;

/**
 * A Flight SQL bulk ingestion ({@code CommandStatementIngest}, ADBC's {@code adbc_ingest}): a put of
 * the flight whose path is the command's table, through the same path as any DoPut (its storage
 * class, capacity, durability, quotas and grants), the messages kept as sent. SQL reads a flight as
 * the table of its path, so an ingested table is queried by the name it was ingested under.
 *
 * <p>What the command's options mean here:
 * <ul>
 *   <li>a table that exists: {@code FAIL} is {@code ALREADY_EXISTS}, {@code REPLACE} replaces the
 *       flight (atomically, as a put does), {@code APPEND} is refused, since a flight is written whole;
 *   <li>a table that does not: {@code CREATE} stores it, {@code FAIL} is {@code NOT_FOUND};
 *   <li>whether the table exists is decided when the ingestion starts: two that race to create one
 *       path both store it, and the later commit stands, as with two puts;
 *   <li>the catalog and schema, if given, must be Hangar's only ones ({@code memory}, {@code main});
 *       temporary tables and transactions do not exist here and are refused; other options are
 *       ignored.
 * </ul>
 */
record SqlIngest(String path, TableNotExistOption ifAbsent, TableExistsOption ifExists) {

  /** Whether {@code descriptor}, a command descriptor, is a bulk ingestion. */
  static boolean isIngest(Flight.FlightDescriptor descriptor) {
    return command(descriptor) != null;
  }

  /** The ingestion {@code descriptor}, a command descriptor, carries, checked; null if its command is another. */
  static SqlIngest of(Flight.FlightDescriptor descriptor) {
    Any any = command(descriptor);
    if (any == null) {
      return null;
    }
    CommandStatementIngest command;
    try {
      command = any.unpack(CommandStatementIngest.class);
    } catch (InvalidProtocolBufferException e) {
      throw new Errors.BadRequestException("Cannot ingest a table: its CommandStatementIngest cannot be decoded");
    }
    String table = command.getTable();
    if (table.isEmpty()) {
      throw new Errors.BadRequestException("Cannot ingest a table: the command names no table (the table is the flight path"
          + ", such as \"cache/t/sales\")");
    }
    String where = "Cannot ingest table \"" + table + "\": ";
    if (command.hasCatalog() && !command.getCatalog().equals(SqlEngine.CATALOG)
        || command.hasSchema() && !command.getSchema().equals(SqlEngine.SCHEMA)) {
      throw new Errors.BadRequestException(where + "Hangar has one catalog, \"" + SqlEngine.CATALOG + "\", with one schema, \""
          + SqlEngine.SCHEMA + "\" (the command names " + (command.hasCatalog() ? "catalog \"" + command.getCatalog() + "\"" : "")
          + (command.hasCatalog() && command.hasSchema() ? " and " : "") + (command.hasSchema() ? "schema \"" + command.getSchema()
          + "\"" : "") + "); leave them out and give the flight path as the table");
    }
    if (command.getTemporary()) {
      throw new Errors.BadRequestException(where + "Hangar has no temporary tables: every flight is visible to every client"
          + " allowed to read its path (a storage class with a ttl makes flights expire); ingest with temporary off");
    }
    if (command.hasTransactionId()) {
      throw CallStatus.UNIMPLEMENTED.withDescription(where + "Hangar's SQL has no transactions; ingest without one")
          .toRuntimeException();
    }
    TableDefinitionOptions options = command.getTableDefinitionOptions();
    if (options.getIfNotExist() != TableNotExistOption.TABLE_NOT_EXIST_OPTION_CREATE
        && options.getIfNotExist() != TableNotExistOption.TABLE_NOT_EXIST_OPTION_FAIL
        || options.getIfExists() != TableExistsOption.TABLE_EXISTS_OPTION_FAIL
        && options.getIfExists() != TableExistsOption.TABLE_EXISTS_OPTION_APPEND
        && options.getIfExists() != TableExistsOption.TABLE_EXISTS_OPTION_REPLACE) {
      throw new Errors.BadRequestException(where + "the command does not say what to do if the table exists and if it does"
          + " not (its table definition options are " + options.getIfExists() + " and " + options.getIfNotExist() + ")");
    }
    return new SqlIngest(table, options.getIfNotExist(), options.getIfExists());
  }

  /** The command of {@code descriptor} if it is an ingestion (its value not decoded yet); null otherwise. */
  private static Any command(Flight.FlightDescriptor descriptor) {
    try {
      Any any = Any.parseFrom(descriptor.getCmd());
      return any.is(CommandStatementIngest.class) ? any : null;
    } catch (InvalidProtocolBufferException e) {
      return null;
    }
  }

  /**
   * Refuses the ingestion if what is at its path does not allow it, before anything is stored. A
   * durable store that cannot say whether the flight exists fails it ({@code UNAVAILABLE}).
   */
  void checkTarget(FlightStore store) {
    boolean exists;
    try {
      store.info(path);
      exists = true;
    } catch (FlightNotFoundException e) {
      exists = false;
    }
    String where = "Cannot ingest table \"" + path + "\": ";
    if (!exists && ifAbsent == TableNotExistOption.TABLE_NOT_EXIST_OPTION_FAIL) {
      throw CallStatus.NOT_FOUND.withDescription(where + "there is no flight at that path to append to").toRuntimeException();
    }
    if (exists && ifExists == TableExistsOption.TABLE_EXISTS_OPTION_FAIL) {
      throw CallStatus.ALREADY_EXISTS.withDescription(where + "a flight exists at that path (ingest with mode \"replace\" to"
          + " replace it)").toRuntimeException();
    }
    if (exists && ifExists == TableExistsOption.TABLE_EXISTS_OPTION_APPEND) {
      throw CallStatus.UNIMPLEMENTED.withDescription(where + "a flight exists at that path, and Hangar does not append to a"
          + " flight: a flight is stored whole, as its messages were sent (ingest with mode \"replace\" to replace it, or under"
          + " a path of its own)").toRuntimeException();
    }
  }

  /** The answer to an ingestion, as Flight SQL clients read it: the rows stored. */
  static Flight.PutResult result(long rows) {
    return Flight.PutResult.newBuilder()
        .setAppMetadata(DoPutUpdateResult.newBuilder().setRecordCount(rows).build().toByteString()).build();
  }
}
