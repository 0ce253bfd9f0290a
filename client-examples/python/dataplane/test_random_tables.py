"""Random tables of every Arrow type round-trip through Hangar unchanged: a property test.

Hypothesis draws a schema of one to four columns whose types are trees of every type the fixed matrix in
test_fidelity.py names (primitives, decimals, temporal types, binary/string and their large and view variants,
the five list layouts, struct, map, sparse and dense unions, dictionaries, run-end encoded), nested up to a few
levels, then zero to four batches of random values with nulls, some of them slices of larger batches, each
dictionary drawn anew per batch (so dictionaries are replaced, or sent as deltas), written with lz4, zstd or no
compression and app_metadata on some batches. Each table is put under one of HANGAR_PREFIXES and read back.

What comes back must be exactly what pyarrow reads from the same batches written to a local stream with the same
options: the same schema (metadata included), the same app_metadata, and, batch by batch, the same bytes when
pyarrow writes the batch out again with its dictionaries (so a NaN's bits or a value under a null count too).
On a failure Hypothesis shrinks the table to a small one and prints it. HANGAR_EXAMPLES sets how many tables
(default 120; SQL half as many, or HANGAR_SQL_EXAMPLES); the suite draws the same ones every run, HANGAR_EXPLORE=1
new ones. Puts only: restores are covered by the fixed matrix.
"""
import itertools
import math
import os

import hypothesis as h
import hypothesis.strategies as st
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest
from test_fidelity import local_copy

PREFIXES = [p for p in os.environ.get("HANGAR_PREFIXES", "fidelity/").split(",") if p]
PHASE = os.environ.get("HANGAR_PHASE", "put")
RUN = os.environ.get("HANGAR_RUN", "r")
EXAMPLES = int(os.environ.get("HANGAR_EXAMPLES", "120"))
# The suite draws the same tables every run (derandomized), so that it passes or fails the same way on every
# machine; HANGAR_EXPLORE=1 draws new ones each run, to look for more.
DERANDOMIZE = not os.environ.get("HANGAR_EXPLORE")

pytestmark = pytest.mark.skipif(PHASE != "put", reason="puts in the first phase only")

# ---- types ------------------------------------------------------------------------------------------

FIXED_WIDTH = [
    pa.bool_(), pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64(),
    pa.float16(), pa.float32(), pa.float64(),
    pa.decimal32(9, 2), pa.decimal64(18, 3), pa.decimal128(38, 10), pa.decimal256(76, 5),
    pa.date32(), pa.date64(), pa.time32("s"), pa.time32("ms"), pa.time64("us"), pa.time64("ns"),
    pa.timestamp("s"), pa.timestamp("ms", tz="UTC"), pa.timestamp("us", tz="America/New_York"), pa.timestamp("ns", tz="+05:30"),
    pa.duration("s"), pa.duration("ms"), pa.duration("us"), pa.duration("ns"), pa.month_day_nano_interval(), pa.binary(5),
]
VARIABLE_WIDTH = [pa.binary(), pa.string(), pa.large_binary(), pa.large_string(), pa.binary_view(), pa.string_view()]
KEYS = st.sampled_from([t for t in FIXED_WIDTH + VARIABLE_WIDTH if not pa.types.is_floating(t)])
LEAVES = st.sampled_from([pa.null()] + FIXED_WIDTH + VARIABLE_WIDTH)
NAMES = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)
INDEX_TYPES = st.sampled_from([pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()])


def dictionaries(values):
    return st.builds(pa.dictionary, INDEX_TYPES, values, st.booleans())


def unions(children):
    def build(mode, types):
        fields = [pa.field(f"u{i}", t) for i, t in enumerate(types)]
        codes = sorted(set(range(0, 3 * len(types), 3)))  # type codes other than 0..n-1 too
        return pa.union(fields, mode, type_codes=codes)
    return st.builds(build, st.sampled_from(["sparse", "dense"]), st.lists(children, min_size=1, max_size=3))


def nested(children):
    return st.one_of(
        st.builds(pa.list_, children), st.builds(pa.large_list, children),
        st.builds(pa.list_view, children), st.builds(pa.large_list_view, children),
        st.builds(pa.list_, children, st.integers(0, 3)),
        st.builds(lambda fs: pa.struct([pa.field(n, t) for n, t in fs]), st.lists(st.tuples(NAMES, children), max_size=3)),
        st.builds(pa.map_, KEYS, children, st.booleans()),
        unions(children),
        dictionaries(st.one_of(LEAVES.filter(lambda t: not pa.types.is_null(t)), st.builds(pa.list_, LEAVES))),
        st.builds(pa.run_end_encoded, st.sampled_from([pa.int16(), pa.int32(), pa.int64()]),
                  children.filter(lambda t: not pa.types.is_run_end_encoded(t))),
    )


TYPES = st.recursive(LEAVES, nested, max_leaves=5)

# ---- arrays -----------------------------------------------------------------------------------------


def nulls(draw, n, allowed=True):
    """Which of n values are null (a list of booleans), or None when none is."""
    if not allowed or n == 0 or not draw(st.booleans()):
        return None
    return draw(st.lists(st.booleans(), min_size=n, max_size=n))


def mask(draw, n, allowed=True):
    """As nulls, as the boolean array the from_arrays constructors take."""
    m = nulls(draw, n, allowed)
    return None if m is None else pa.array(m, pa.bool_())


def validity(null):
    """The validity bitmap for a nulls() list (None: all valid)."""
    return None if null is None else pa.array([not x for x in null], pa.bool_()).buffers()[1]


def counts(draw, n, most=3):
    return draw(st.lists(st.integers(0, most), min_size=n, max_size=n))


def offsets_of(sizes):
    return list(itertools.accumulate(sizes, initial=0))


@st.composite
def arrays(draw, t, n, nullable=True):
    """An array of type t and length n with random values (and nulls, if nullable), built from its parts."""
    if pa.types.is_null(t):
        return pa.nulls(n)
    if pa.types.is_run_end_encoded(t):
        runs = sorted(set(draw(st.lists(st.integers(1, max(n, 1)), max_size=4))) | {n}) if n else []
        return pa.RunEndEncodedArray.from_arrays(pa.array(runs, t.run_end_type), draw(arrays(t.value_type, len(runs))), type=t)
    if pa.types.is_dictionary(t):
        size = draw(st.integers(1 if n else 0, 5))
        values = draw(arrays(t.value_type, size))
        null = nulls(draw, n) if size else [True] * n
        picks = draw(st.lists(st.integers(0, max(size - 1, 0)), min_size=n, max_size=n))
        indices = pa.array([None if null and null[i] else v for i, v in enumerate(picks)], t.index_type)
        return pa.DictionaryArray.from_arrays(indices, values, ordered=t.ordered)
    if pa.types.is_union(t):
        codes = [t.type_codes[i] for i in draw(st.lists(st.integers(0, t.num_fields - 1), min_size=n, max_size=n))]
        names = [t.field(i).name for i in range(t.num_fields)]
        if t.mode == "sparse":
            children = [draw(arrays(t.field(i).type, n)) for i in range(t.num_fields)]
            return pa.UnionArray.from_sparse(pa.array(codes, pa.int8()), children, names, list(t.type_codes))
        seen = dict.fromkeys(t.type_codes, 0)
        offsets = []
        for c in codes:
            offsets.append(seen[c])
            seen[c] += 1
        children = [draw(arrays(t.field(i).type, seen[t.type_codes[i]])) for i in range(t.num_fields)]
        return pa.UnionArray.from_dense(pa.array(codes, pa.int8()), pa.array(offsets, pa.int32()), children, names,
                                        list(t.type_codes))
    if pa.types.is_struct(t):
        children = [draw(arrays(t.field(i).type, n)) for i in range(t.num_fields)]
        if not children:  # a struct of no fields still has a length and nulls
            return pa.Array.from_buffers(t, n, [validity(nulls(draw, n))], null_count=-1, children=[])
        return pa.StructArray.from_arrays(children, fields=list(t), mask=mask(draw, n))
    if pa.types.is_map(t):
        sizes = counts(draw, n)
        keys = draw(arrays(t.key_type, sum(sizes), nullable=False))
        return pa.MapArray.from_arrays(pa.array(offsets_of(sizes), pa.int32()), keys, draw(arrays(t.item_type, sum(sizes))),
                                       type=t, mask=mask(draw, n))
    if pa.types.is_fixed_size_list(t):
        if t.list_size == 0:  # pyarrow's from_arrays divides by the list size
            return pa.Array.from_buffers(t, n, [validity(nulls(draw, n))], null_count=-1, children=[draw(arrays(t.value_type, 0))])
        return pa.FixedSizeListArray.from_arrays(draw(arrays(t.value_type, n * t.list_size)), type=t, mask=mask(draw, n))
    if pa.types.is_list_view(t) or pa.types.is_large_list_view(t):
        total = draw(st.integers(0, 6))
        starts = draw(st.lists(st.integers(0, total), min_size=n, max_size=n))
        sizes = [draw(st.integers(0, total - s)) for s in starts]
        index = pa.int32() if pa.types.is_list_view(t) else pa.int64()
        cls = pa.ListViewArray if pa.types.is_list_view(t) else pa.LargeListViewArray
        return cls.from_arrays(pa.array(starts, index), pa.array(sizes, index), draw(arrays(t.value_type, total)), type=t,
                               mask=mask(draw, n))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        sizes = counts(draw, n)
        cls = pa.ListArray if pa.types.is_list(t) else pa.LargeListArray
        return cls.from_arrays(pa.array(offsets_of(sizes), pa.int32() if pa.types.is_list(t) else pa.int64()),
                               draw(arrays(t.value_type, sum(sizes))), type=t, mask=mask(draw, n))
    if t in VARIABLE_WIDTH:
        text = pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)
        values = draw(st.lists(st.text(max_size=20) if text else st.binary(max_size=20), min_size=n, max_size=n))
        null = nulls(draw, n, nullable)
        return pa.array([None if null and null[i] else v for i, v in enumerate(values)], t)
    if pa.types.is_time(t) or pa.types.is_date64(t):  # values a full validation checks: times within a day, whole days
        day = {"s": 86400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[getattr(t, "unit", "s")]
        values = draw(st.lists(st.integers(0, day - 1), min_size=n, max_size=n)) if pa.types.is_time(t) else \
            [d * 86_400_000 for d in draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n))]
        null = nulls(draw, n, nullable)
        storage = pa.int32() if t.bit_width == 32 else pa.int64()
        return pa.array([None if null and null[i] else v for i, v in enumerate(values)], storage).cast(t)
    if pa.types.is_decimal(t):  # unscaled values within the precision, which a full validation checks
        top = 10 ** t.precision - 1
        data = b"".join(k.to_bytes(t.bit_width // 8, "little", signed=True)
                        for k in draw(st.lists(st.integers(-top, top), min_size=n, max_size=n)))
        return pa.Array.from_buffers(t, n, [validity(nulls(draw, n, nullable)), pa.py_buffer(data)], null_count=-1)
    # Other fixed-width types: random bits (any bit pattern is a value to Arrow's format; NaN payloads included).
    width = t.bit_width
    data = draw(st.binary(min_size=(n * width + 7) // 8, max_size=(n * width + 7) // 8))
    return pa.Array.from_buffers(t, n, [validity(nulls(draw, n, nullable)), pa.py_buffer(data)], null_count=-1)


@st.composite
def tables(draw):
    """(schema, batches, write options, app_metadata per batch)."""
    types = draw(st.lists(TYPES, min_size=1, max_size=4))
    fields = [pa.field(f"c{i}", t, metadata=draw(st.none() | st.just({"k": f"v{i}"}))) for i, t in enumerate(types)]
    schema = pa.schema(fields, metadata=draw(st.none() | st.just({"origin": "random"})))
    # a top-level dictionary column that grows: each batch's dictionary extends the last one (sent as a delta
    # when emit_dictionary_deltas is on); the others get a new dictionary per batch (a replacement)
    grows = [pa.types.is_dictionary(t) and draw(st.booleans()) for t in types]
    batches, last = [], {}
    for _ in range(draw(st.integers(0, 4))):
        n = draw(st.integers(0, 12))
        extra = draw(st.integers(0, 3))
        columns = [draw(arrays(f.type, n + extra)) for f in fields]
        for j, c in enumerate(columns):
            if grows[j] and j in last:
                before = last[j]
                shifted = pc.add(c.indices.cast(pa.int64()), len(before)).cast(c.type.index_type)
                columns[j] = pa.DictionaryArray.from_arrays(shifted, pa.concat_arrays([before, c.dictionary]), ordered=c.type.ordered)
            if grows[j]:
                last[j] = columns[j].dictionary
        whole = pa.record_batch(columns, schema=schema)
        start = draw(st.integers(0, extra))
        batches.append(whole.slice(start, n) if extra else whole)
    options = pa.ipc.IpcWriteOptions(compression=draw(st.sampled_from([None, "lz4", "zstd"])),
                                     emit_dictionary_deltas=any(grows) or draw(st.booleans()))
    metadata = [draw(st.none() | st.binary(max_size=16)) for _ in batches]
    return schema, batches, options, metadata


# ---- the property -----------------------------------------------------------------------------------

def as_stream(schema, batch):
    """The batch as pyarrow writes it on its own, dictionaries included: equal bytes mean equal batches."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as w:
        w.write_batch(batch)
    return sink.getvalue().to_pybytes()


_paths = itertools.count()


@h.settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True, derandomize=DERANDOMIZE,
            phases=[h.Phase.explicit, h.Phase.generate, h.Phase.shrink],
            suppress_health_check=[h.HealthCheck.too_slow, h.HealthCheck.data_too_large, h.HealthCheck.filter_too_much,
                                   h.HealthCheck.function_scoped_fixture, h.HealthCheck.large_base_example])
@h.given(table=tables(), prefix=st.sampled_from(PREFIXES))
def test_a_random_table_reads_back_as_sent(client, table, prefix):
    schema, batches, options, metadata = table
    want_schema, want = local_copy(schema, batches, options)
    path = f"{prefix}{RUN}/random/{next(_paths)}"
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(path), schema,
                                   options=flight.FlightCallOptions(write_options=options))
    for b, md in zip(batches, metadata):
        if md is None:
            writer.write_batch(b)
        else:
            writer.write_with_metadata(b, pa.py_buffer(md))
    writer.done_writing()
    reader.read()
    writer.close()
    try:
        got = client.do_get(flight.Ticket(path.encode()))
        assert got.schema.equals(want_schema, check_metadata=True)
        chunks = []
        while True:
            try:
                chunks.append(got.read_chunk())
            except StopIteration:
                break
        assert len(chunks) == len(want)
        for i, (chunk, batch, md) in enumerate(zip(chunks, want, metadata)):
            assert as_stream(want_schema, chunk.data) == as_stream(want_schema, batch), f"batch {i} differs"
            # protobuf does not send an empty bytes field: empty app_metadata and none are the same on the wire
            assert (chunk.app_metadata.to_pybytes() if chunk.app_metadata is not None else None) == (md or None), \
                f"app_metadata of batch {i}"
        info = client.get_flight_info(flight.FlightDescriptor.for_path(path))
        assert info.schema.equals(want_schema, check_metadata=True)
        assert info.total_records == sum(b.num_rows for b in want)
    finally:
        list(client.do_action(flight.Action("delete", path.encode())))


def duckdb_reads(schema, batches):
    """What DuckDB (the Python package of the same version as Hangar's) answers to SELECT * over these batches
    handed to it directly by pyarrow; None if it refuses them."""
    import duckdb
    con = duckdb.connect()
    try:
        con.register("t", pa.Table.from_batches(batches, schema))
        return con.execute("SELECT * FROM t").to_arrow_table()
    except duckdb.Error:
        return None
    finally:
        con.close()


def same_values(a, b):
    """Equal tables, a NaN equal to a NaN; values Python cannot hold (timestamps past year 9999) by their text."""
    def norm(v):
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, tuple):
            return tuple(norm(x) for x in v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v
    try:
        return norm(a.to_pylist()) == norm(b.to_pylist())
    except (ValueError, OverflowError, TypeError):
        return a.equals(b) or str(a) == str(b)


SQL_EXAMPLES = int(os.environ.get("HANGAR_SQL_EXAMPLES", str(max(EXAMPLES // 2, 1))))
# What DuckDB itself may answer about data it decoded (INVALID_ARGUMENT with its message): values its types
# cannot hold, and maps with repeated keys.
DUCKDB_REFUSALS = ("Conversion Error: ", "Invalid Input Error: Arrow map contains duplicate key")


@h.settings(max_examples=SQL_EXAMPLES, deadline=None, database=None, print_blob=True, derandomize=DERANDOMIZE,
            phases=[h.Phase.explicit, h.Phase.generate, h.Phase.shrink],
            suppress_health_check=[h.HealthCheck.too_slow, h.HealthCheck.data_too_large, h.HealthCheck.filter_too_much,
                                   h.HealthCheck.function_scoped_fixture, h.HealthCheck.large_base_example])
@h.given(table=tables(), prefix=st.sampled_from(PREFIXES))
def test_sql_over_a_random_table_answers_its_rows_or_names_what_it_cannot_decode(client, url, table, prefix):
    """SQL decodes what Arrow Java and DuckDB can, and answers what DuckDB answers over the same batches handed to
    it directly (so Hangar's decoding of dictionaries, deltas, compression and slices changes no value); over
    anything else it is INVALID_ARGUMENT naming the column and its type (or, for a value beyond the range DuckDB
    carries it in, the value), never an internal error, and the next query still runs (DuckDB's database stays usable)."""
    import adbc_driver_flightsql.dbapi as flight_sql
    import adbc_driver_manager
    schema, batches, options, _ = table
    path = f"{prefix}{RUN}/random-sql/{next(_paths)}"
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(path), schema, options=flight.FlightCallOptions(write_options=options))
    for b in batches:
        writer.write_batch(b)
    writer.close()
    try:
        with flight_sql.connect(url) as conn, conn.cursor() as cur:
            try:
                cur.execute(f'SELECT * FROM "{path}"')
                got = cur.fetch_arrow_table()
                assert got.num_rows == sum(b.num_rows for b in batches)
                want_schema, want = local_copy(schema, batches, options)
                reference = duckdb_reads(want_schema, want)
                if reference is not None:
                    assert got.schema.remove_metadata().equals(reference.schema.remove_metadata())
                    # DuckDB's Python package has its own bugs (it reads b"\x00" inside a fixed-size list of
                    # lists as b""): the values themselves are right too
                    assert same_values(got, reference) or same_values(got, pa.Table.from_batches(want, want_schema))
            except adbc_driver_manager.ProgrammingError as e:  # INVALID_ARGUMENT
                message = str(e)
                assert ('has type ' in message or '" holds the ' in message) and f'over flight "{path}": column "' in message \
                    or any(r in message for r in DUCKDB_REFUSALS), message
                assert "incident" not in message and "java." not in message and "Exception" not in message, message
            cur.execute("SELECT 42")
            assert cur.fetchone() == (42,)
    finally:
        list(client.do_action(flight.Action("delete", path.encode())))
