package dev.hangar.tiers.ipc;

/**
 * The Arrow type ids of {@code Schema.fbs}'s {@code Type} union, with what validation needs to know
 * about each: how many buffers a column of it has in a record batch, and how many children it must
 * have.
 */
enum ArrowType {
  NONE(-1, -1),
  NULL(0, 0),
  INT(2, 0),
  FLOATING_POINT(2, 0),
  BINARY(3, 0),
  UTF8(3, 0),
  BOOL(2, 0),
  DECIMAL(2, 0),
  DATE(2, 0),
  TIME(2, 0),
  TIMESTAMP(2, 0),
  INTERVAL(2, 0),
  LIST(2, 1),
  STRUCT(1, -1),
  UNION(-1, -1), // sparse: type ids; dense: type ids and offsets
  FIXED_SIZE_BINARY(2, 0),
  FIXED_SIZE_LIST(1, 1),
  MAP(2, 1),
  DURATION(2, 0),
  LARGE_BINARY(3, 0),
  LARGE_UTF8(3, 0),
  LARGE_LIST(2, 1),
  RUN_END_ENCODED(0, 2),
  BINARY_VIEW(2, 0), // plus its variadic data buffers
  UTF8_VIEW(2, 0),
  LIST_VIEW(3, 1),
  LARGE_LIST_VIEW(3, 1);

  /** Buffers of a column of this type, before variadic ones; -1 where it depends on the field. */
  final int buffers;
  /** Children a field of this type has; -1 for any number. */
  final int children;

  ArrowType(int buffers, int children) {
    this.buffers = buffers;
    this.children = children;
  }

  private static final ArrowType[] BY_ID = values();

  /** The type with flatbuffer union id {@code id}, or null if it is not one this Arrow version knows. */
  static ArrowType of(int id) {
    return id >= 1 && id < BY_ID.length ? BY_ID[id] : null;
  }
}
