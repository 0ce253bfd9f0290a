package dev.hangar.tiers.ipc;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks the messages after a flight's schema, one by one and in order, before any of them is stored:
 * the flatbuffer is well-formed; the message is a dictionary or record batch (a second schema is
 * refused); its body length matches its header; its field nodes and buffers match the schema's
 * columns, lie inside the body and, when uncompressed, are large enough for their lengths; and every
 * dictionary it needs has been sent. What passes is what Arrow's own readers accept. Used by one
 * upload (or one reader of a stored file) at a time.
 */
public final class MessageValidator {
  private final FlightSchema schema;
  private final Set<Long> dictionariesSeen = new HashSet<>();
  private final Set<Long> dictionariesUsed = new HashSet<>();
  private int index; // of the last message checked; the schema is message 0

  public MessageValidator(FlightSchema schema) {
    this.schema = schema;
    collectDictionaries(schema.columns(), dictionariesUsed);
  }

  private static void collectDictionaries(List<FlightSchema.Column> columns, Set<Long> out) {
    for (FlightSchema.Column c : columns) {
      if (c.dictionaryEncoded()) {
        out.add(c.dictionaryId());
      } else {
        collectDictionaries(c.children(), out);
      }
    }
  }

  /** How many messages have been checked, the schema included. */
  public int messages() {
    return index + 1;
  }

  /**
   * Checks the next message: its flatbuffer {@code header} and the length of the body that came with
   * it.
   *
   * @throws InvalidMessageException naming the message (by its number in the stream, the schema being
   *     0) and what is wrong
   */
  public MessageHeader check(byte[] header, long bodyLength) {
    try {
      return checkNext(header, bodyLength);
    } catch (ArithmeticException e) {
      throw new InvalidMessageException("message " + index + ": its lengths overflow (a field node or buffer is impossibly large)");
    }
  }

  /**
   * Checks the body of the message {@link #check} just passed, if its header asks for it (see {@link
   * MessageHeader.BodyChecks}).
   */
  public void checkBody(MessageHeader header, org.apache.arrow.memory.ArrowBuf body) {
    if (header.bodyChecks() != null) {
      BodyChecker.check(header.bodyChecks(), body, index);
    }
  }

  /**
   * Checks that the stream may end here. An IPC stream reader wants every dictionary of the schema before
   * the first record batch, or a stream with no batch and no dictionary at all: a stream that stops after
   * some of its first dictionaries cannot be read.
   */
  public void checkEnd() {
    if (!dictionariesSeen.isEmpty() && !dictionariesSeen.containsAll(schema.dictionaries().keySet())) {
      throw new InvalidMessageException("the stream ended after dictionaries " + new java.util.TreeSet<>(dictionariesSeen)
          + " of the schema's " + new java.util.TreeSet<>(schema.dictionaries().keySet())
          + ": a reader needs all of them before the first record batch (or a stream with no batch sends none)");
    }
  }

  private MessageHeader checkNext(byte[] header, long bodyLength) {
    int n = ++index;
    CheckedFlatBuffer fb = new CheckedFlatBuffer(header, "message " + n);
    int msg = fb.root();
    Messages.checkVersion(fb, msg);
    int type = fb.u8(msg, 1, 0);
    long declared = fb.i64(msg, 3, 0);
    Messages.checkKeyValues(fb, msg, 4);
    if (type == Messages.HEADER_SCHEMA) {
      String next;
      try {
        next = FlightSchema.parse(header, null).toString();
      } catch (InvalidMessageException e) {
        next = "an unreadable one";
      }
      throw new InvalidMessageException("the schema changed mid-stream at message " + n + " (a flight has one schema; it started with "
          + schema + ", then got " + next + "; start a new put for data of another schema)");
    }
    if (type != Messages.HEADER_RECORD_BATCH && type != Messages.HEADER_DICTIONARY_BATCH) {
      throw fb.bad("a %s is not part of an Arrow record batch stream", Messages.headerName(type));
    }
    if (declared < 0 || declared != bodyLength) {
      throw fb.bad("the header declares a body of %d bytes, but %d came with it", declared, bodyLength);
    }
    int body = fb.subTable(msg, 2);
    if (body < 0) {
      throw fb.bad("the %s has no header table", Messages.headerName(type));
    }
    if (type == Messages.HEADER_RECORD_BATCH) {
      Walk w = checkBatch(fb, body, schema.columns(), declared, false);
      for (long id : dictionariesUsed) {
        if (!dictionariesSeen.contains(id)) {
          throw fb.bad("a record batch uses dictionary %d before any dictionary batch with that id was sent", id);
        }
      }
      return new MessageHeader(header, MessageKind.RECORD_BATCH, declared, w.length, -1, false, w.bodyChecks());
    }
    long id = fb.i64(body, 0, 0);
    boolean delta = fb.bool(body, 2, false);
    FlightSchema.Column column = schema.dictionaries().get(id);
    if (column == null) {
      throw fb.bad("a dictionary batch for id %d, which no column of the schema uses (its ids: %s)", id,
          schema.dictionaries().keySet());
    }
    int data = fb.subTable(body, 1);
    if (data < 0) {
      throw fb.bad("the dictionary batch for id %d has no data", id);
    }
    if (delta && !dictionariesSeen.contains(id)) {
      throw fb.bad("a delta for dictionary %d before its first dictionary batch", id);
    }
    FlightSchema.Column values = new FlightSchema.Column(column.name(), column.type(), column.typeName(), column.children(), -1, 0,
        column.valueBits(), column.denseUnion(), column.listSize(), column.unionTypeCodes());
    Set<Long> nested = new HashSet<>();
    collectDictionaries(column.children(), nested);
    for (long inner : nested) {
      if (!dictionariesSeen.contains(inner)) {
        throw fb.bad("dictionary %d uses dictionary %d before any dictionary batch with that id was sent", id, inner);
      }
    }
    Walk w = checkBatch(fb, data, List.of(values), declared, true); // checked in full, as Arrow C++ does when a delta extends it
    dictionariesSeen.add(id);
    return new MessageHeader(header, MessageKind.DICTIONARY_BATCH, declared, 0, id, delta, w.bodyChecks());
  }

  /**
   * Walks a RecordBatch table against {@code columns}; returns the walk (the batch's length, its compression).
   * {@code dictionary}: the batch is a dictionary's, whose body is then checked in full ({@link DictionaryChecks}).
   */
  private static Walk checkBatch(CheckedFlatBuffer fb, int batch, List<FlightSchema.Column> columns, long bodyLength,
      boolean dictionary) {
    long length = fb.i64(batch, 0, 0);
    if (length < 0) {
      throw fb.bad("the batch has a negative length %d", length);
    }
    int compression = fb.subTable(batch, 3);
    if (compression >= 0) {
      int codec = fb.u8(compression, 0, 0);
      if (codec != 0 && codec != 1) {
        throw fb.bad("unknown body compression codec %d (Arrow defines lz4_frame and zstd)", codec);
      }
      if (fb.u8(compression, 1, 0) != 0) {
        throw fb.bad("unknown body compression method %d (Arrow defines BUFFER)", fb.u8(compression, 1, 0));
      }
    }
    Walk w = new Walk(fb, fb.vector(batch, 1, 16, 8), fb.vector(batch, 2, 16, 8), fb.vector(batch, 4, 8, 8), bodyLength,
        compression < 0 ? -1 : fb.u8(compression, 0, 0), dictionary);
    w.length = length;
    for (FlightSchema.Column c : columns) {
      int node = w.node;
      w.column(c, length);
      long columnLength = fb.longAt(w.nodes + 16 * node);
      if (columnLength != length) {
        throw fb.bad("column \"%s\" has %d values in a batch of %d rows (a top-level column has one per row)", c.name(), columnLength,
            length);
      }
    }
    if (w.node != fb.vectorLength(w.nodes)) {
      throw fb.bad("the batch has %d field nodes, but its schema has %d columns", fb.vectorLength(w.nodes), w.node);
    }
    if (w.buffer != fb.vectorLength(w.buffers)) {
      throw fb.bad("the batch has %d buffers, but its schema's columns have %d", fb.vectorLength(w.buffers), w.buffer);
    }
    if (w.variadic != fb.vectorLength(w.variadics)) {
      throw fb.bad("the batch has %d variadic buffer counts, but its schema has %d view columns", fb.vectorLength(w.variadics),
          w.variadic);
    }
    return w;
  }

  /** A cursor over a batch's field nodes and buffers, consumed column by column in schema order. */
  private static final class Walk {
    private final CheckedFlatBuffer fb;
    private final int nodes;
    private final int buffers;
    private final int variadics;
    private final long bodyLength;
    private final boolean uncompressed;
    private final int codec;
    private final long[] needed;
    private final List<MessageHeader.OffsetRange> ranges = new java.util.ArrayList<>();
    /** A dictionary's further checks; null for a record batch. */
    private final List<DictionaryChecks.Check> deep;
    long length;
    int node;
    int buffer;
    int variadic;

    Walk(CheckedFlatBuffer fb, int nodes, int buffers, int variadics, long bodyLength, int codec, boolean dictionary) {
      this.deep = dictionary ? new java.util.ArrayList<>() : null;
      this.fb = fb;
      this.nodes = nodes;
      this.buffers = buffers;
      this.variadics = variadics;
      this.bodyLength = bodyLength;
      this.codec = codec;
      this.uncompressed = codec < 0;
      this.needed = uncompressed ? null : new long[fb.vectorLength(buffers)];
    }

    /** What the body of this batch must be checked for; null if nothing. */
    MessageHeader.BodyChecks bodyChecks() {
      if (uncompressed && ranges.isEmpty() && (deep == null || deep.isEmpty())) {
        return null;
      }
      long[] offsets = new long[buffer];
      long[] lengths = new long[buffer];
      for (int i = 0; i < buffer; i++) {
        offsets[i] = fb.longAt(buffers + 16 * i);
        lengths[i] = fb.longAt(buffers + 16 * i + 8);
      }
      return new MessageHeader.BodyChecks(codec, offsets, lengths, uncompressed ? null : java.util.Arrays.copyOf(needed, buffer),
          List.copyOf(ranges), deep == null ? List.of() : List.copyOf(deep));
    }

    /** Records, for a compressed body, that the buffer just taken must hold at least {@code bytes} once decompressed. */
    private void need(long bytes) {
      if (!uncompressed) {
        needed[buffer - 1] = bytes;
      }
    }

    void column(FlightSchema.Column c, long parentLength) {
      if (node >= fb.vectorLength(nodes)) {
        throw fb.bad("the batch has too few field nodes for its schema (column \"%s\" has none)", c.name());
      }
      long length = fb.longAt(nodes + 16 * node);
      long nulls = fb.longAt(nodes + 16 * node + 8);
      node++;
      if (length < 0 || nulls < 0 || nulls > length) {
        throw fb.bad("column \"%s\" has an invalid field node (length %d, null count %d)", c.name(), length, nulls);
      }
      if (length < parentLength) {
        throw fb.bad("column \"%s\" has %d values, fewer than the %d its parent needs", c.name(), length, parentLength);
      }
      if (c.dictionaryEncoded()) {
        validity(c, length, nulls);
        values(c, length, c.indexBits()); // the indices
        return;
      }
      int validityBuffer = nulls > 0 ? buffer : -1; // for a dictionary's checks: no nulls, no bitmap to read
      switch (c.type()) {
        case NULL -> {}
        case INT, FLOATING_POINT, BOOL, DECIMAL, DATE, TIME, TIMESTAMP, INTERVAL, DURATION, FIXED_SIZE_BINARY -> {
          validity(c, length, nulls);
          values(c, length, c.valueBits());
          if (deep != null && length > 0) {
            deepFixedWidth(c, validityBuffer, buffer - 1, length);
          }
        }
        case BINARY, UTF8, LARGE_BINARY, LARGE_UTF8 -> {
          validity(c, length, nulls);
          int width = c.type() == ArrowType.LARGE_BINARY || c.type() == ArrowType.LARGE_UTF8 ? 8 : 4;
          offsets(c, length, width);
          next(c);
          ranges.add(new MessageHeader.OffsetRange(c.name(), buffer - 2, width, length, buffer - 1, 0));
          if (deep != null) {
            deep.add(DictionaryChecks.offsets(c.name(), buffer - 2, width, length, buffer - 1, 0,
                c.type() == ArrowType.UTF8 || c.type() == ArrowType.LARGE_UTF8));
          }
        }
        case BINARY_VIEW, UTF8_VIEW -> {
          validity(c, length, nulls);
          int viewsBuffer = buffer;
          values(c, length, 128);
          if (variadic >= fb.vectorLength(variadics)) {
            throw fb.bad("column \"%s\" is a view type, but the batch has no variadic buffer count for it", c.name());
          }
          long extra = fb.longAt(variadics + 8 * variadic++);
          if (extra < 0 || extra > fb.vectorLength(buffers) - buffer) {
            throw fb.bad("column \"%s\" declares %d variadic buffers, more than the batch has", c.name(), extra);
          }
          for (long i = 0; i < extra; i++) {
            next(c);
          }
          if (deep != null && length > 0) {
            deep.add(DictionaryChecks.views(c.name(), validityBuffer, viewsBuffer, length, (int) extra, c.type() == ArrowType.UTF8_VIEW));
          }
        }
        case LIST, LARGE_LIST, MAP -> {
          validity(c, length, nulls);
          int width = c.type() == ArrowType.LARGE_LIST ? 8 : 4;
          offsets(c, length, width);
          int offsetsBuffer = buffer - 1;
          int child = node;
          column(c.children().get(0), 0);
          ranges.add(new MessageHeader.OffsetRange(c.name(), offsetsBuffer, width, length, -1, fb.longAt(nodes + 16 * child)));
          if (deep != null && c.type() == ArrowType.MAP && fb.longAt(nodes + 16 * (child + 1) + 8) > 0) { // the entries' keys
            throw fb.bad("dictionary column \"%s\" is a map with null keys (a map's keys may not be null)", c.name());
          }
          if (deep != null) {
            deep.add(DictionaryChecks.offsets(c.name(), offsetsBuffer, width, length, -1, fb.longAt(nodes + 16 * child), false));
          }
        }
        case LIST_VIEW, LARGE_LIST_VIEW -> {
          validity(c, length, nulls);
          int width = c.type() == ArrowType.LARGE_LIST_VIEW ? 64 : 32;
          int offsetsBuffer = buffer;
          values(c, length, width);
          values(c, length, width);
          int child = node;
          column(c.children().get(0), 0);
          if (deep != null && length > 0) {
            deep.add(DictionaryChecks.listViews(c.name(), validityBuffer, offsetsBuffer, offsetsBuffer + 1, width / 8, length,
                fb.longAt(nodes + 16 * child)));
          }
        }
        case FIXED_SIZE_LIST -> {
          validity(c, length, nulls);
          column(c.children().get(0), Math.multiplyExact(length, (long) c.listSize()));
        }
        case STRUCT -> {
          validity(c, length, nulls);
          for (FlightSchema.Column child : c.children()) {
            column(child, length);
          }
        }
        case UNION -> {
          int typeIdsBuffer = buffer;
          values(c, length, 8); // type ids
          if (c.denseUnion()) {
            values(c, length, 32);
          }
          long[] childLengths = new long[c.children().size()];
          for (int k = 0; k < childLengths.length; k++) {
            int childNode = node;
            column(c.children().get(k), c.denseUnion() ? 0 : length);
            childLengths[k] = fb.longAt(nodes + 16 * childNode); // checked there
          }
          if (deep != null && length > 0) {
            deep.add(DictionaryChecks.unions(c.name(), typeIdsBuffer, c.denseUnion() ? typeIdsBuffer + 1 : -1, length,
                c.unionTypeCodes(), childLengths));
          }
        }
        case RUN_END_ENCODED -> {
          int runEnds = node;
          int runEndsBuffer = buffer + 1; // after the run ends' validity bitmap
          column(c.children().get(0), 0);
          column(c.children().get(1), 0);
          if (deep != null) {
            deep.add(DictionaryChecks.runEnds(c.name(), runEndsBuffer, c.children().get(0).valueBits() / 8, fb.longAt(nodes + 16 * runEnds),
                length));
          }
        }
        default -> throw fb.bad("column \"%s\" has a type Hangar cannot check", c.name());
      }
    }

    /** A dictionary's checks of a fixed-width column's values (buffer {@code values}): decimals, times, date64s. */
    private void deepFixedWidth(FlightSchema.Column c, int validity, int values, long length) {
      String t = c.typeName();
      if (c.type() == ArrowType.DECIMAL) {
        int precision = Integer.parseInt(t.substring(t.indexOf('(') + 1, t.indexOf(',')));
        deep.add(DictionaryChecks.decimals(c.name(), validity, values, c.valueBits(), length, precision));
      } else if (c.type() == ArrowType.TIME) {
        long perSecond = switch (t.substring(t.indexOf('[') + 1, t.length() - 1)) {
          case "s" -> 1;
          case "ms" -> 1_000;
          case "us" -> 1_000_000;
          default -> 1_000_000_000;
        };
        deep.add(DictionaryChecks.timesOfDay(c.name(), t, validity, values, c.valueBits() / 8, length, 86_400 * perSecond));
      } else if (c.type() == ArrowType.DATE && c.valueBits() == 64) {
        deep.add(DictionaryChecks.wholeDays(c.name(), validity, values, length));
      }
    }

    /** The next buffer: checks it lies inside the body at an 8-aligned offset; returns its length. */
    private long next(FlightSchema.Column c) {
      if (buffer >= fb.vectorLength(buffers)) {
        throw fb.bad("the batch has too few buffers for its schema (column \"%s\" needs more)", c.name());
      }
      long offset = fb.longAt(buffers + 16 * buffer);
      long length = fb.longAt(buffers + 16 * buffer + 8);
      int i = buffer++;
      if (offset < 0 || length < 0 || offset > bodyLength || length > bodyLength - offset) {
        throw fb.bad("buffer %d (column \"%s\") at offset %d with %d bytes lies outside the body of %d bytes", i, c.name(), offset,
            length, bodyLength);
      }
      if ((offset & 7) != 0) {
        throw fb.bad("buffer %d (column \"%s\") starts at offset %d, which is not 8-byte aligned", i, c.name(), offset);
      }
      return length;
    }

    private void validity(FlightSchema.Column c, long length, long nulls) {
      long size = next(c);
      need(nulls > 0 ? (length + 7) / 8 : 0);
      if (uncompressed && nulls > 0 && size < (length + 7) / 8) {
        throw fb.bad("column \"%s\" has %d nulls but a validity bitmap of %d bytes, too small for %d values", c.name(), nulls, size,
            length);
      }
      if (deep != null && nulls > 0) {
        deep.add(DictionaryChecks.nullCount(c.name(), buffer - 1, length, nulls));
      }
    }

    private void values(FlightSchema.Column c, long length, int bits) {
      long size = next(c);
      long needed = bits == 0 ? 0 : Math.addExact(Math.multiplyExact(length, (long) bits), 7) / 8;
      need(needed);
      if (uncompressed && size < needed) {
        throw fb.bad("column \"%s\" has %d values but a buffer of %d bytes, too small for them (%d needed)", c.name(), length, size,
            needed);
      }
    }

    private void offsets(FlightSchema.Column c, long length, int width) {
      long size = next(c);
      long needed = length == 0 ? 0 : Math.multiplyExact(Math.addExact(length, 1), (long) width);
      need(needed);
      if (uncompressed && size < needed) {
        throw fb.bad("column \"%s\" has %d values but an offsets buffer of %d bytes (%d needed)", c.name(), length, size, needed);
      }
    }
  }
}
