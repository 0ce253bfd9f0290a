"""Every Arrow type and layout a Flight client can send round-trips through Hangar unchanged.

Each case is a list of record batches (with app_metadata on some) put with given IPC write options. What a
reader must get back is what pyarrow itself reads from the same batches written to a local IPC stream with
the same options: the same schema (metadata included) and, batch by batch, the same data and app_metadata.

HANGAR_PREFIXES names the storage-class prefixes to put each case under (one per tier or durable store);
HANGAR_PHASE=restore reads back what an earlier phase put, after the server restarted (durable flights are
then restored from their store). HANGAR_FILE_DIRS lists directories whose .arrow files (tier files, durable
objects) any Arrow reader must open.
"""
import datetime
import decimal
import json
import os
import pathlib
import uuid

import pyarrow as pa
import pyarrow.flight as flight
import pytest

PREFIXES = [p for p in os.environ.get("HANGAR_PREFIXES", "fidelity/").split(",") if p]
PHASE = os.environ.get("HANGAR_PHASE", "put")
RUN = os.environ.get("HANGAR_RUN", "r")

N = 5


def arr(values, type_):
    return pa.array(values, type_)


def primitives():
    f16 = pa.Array.from_buffers(pa.float16(), N, [None, pa.py_buffer(bytes.fromhex("003c0040004200c000fc"))])
    cols = {
        "bool": arr([True, None, False, True, False], pa.bool_()),
        "i8": arr([1, -2, None, 127, -128], pa.int8()),
        "i16": arr([1, -2, None, 32767, -32768], pa.int16()),
        "i32": arr([1, -2, None, 2**31 - 1, -(2**31)], pa.int32()),
        "i64": arr([1, -2, None, 2**63 - 1, -(2**63)], pa.int64()),
        "u8": arr([1, 2, None, 255, 0], pa.uint8()),
        "u16": arr([1, 2, None, 65535, 0], pa.uint16()),
        "u32": arr([1, 2, None, 2**32 - 1, 0], pa.uint32()),
        "u64": arr([1, 2, None, 2**64 - 1, 0], pa.uint64()),
        "f16": f16,
        "f32": arr([1.5, None, float("inf"), -0.0, 3.25], pa.float32()),
        "f64": arr([1.5, None, float("nan"), -0.0, 1e300], pa.float64()),
        "null": pa.nulls(N),
    }
    return [pa.record_batch(list(cols.values()), names=list(cols))]


def decimals():
    d = [decimal.Decimal("1.23"), None, decimal.Decimal("-99.99"), decimal.Decimal("0.00"), decimal.Decimal("12.5")]
    return [pa.record_batch([
        arr(d, pa.decimal32(7, 2)),
        arr(d, pa.decimal64(15, 2)),
        arr(d, pa.decimal128(38, 2)),
        arr([decimal.Decimal("1" * 60), None, decimal.Decimal("-5"), decimal.Decimal(0), decimal.Decimal("7.5")], pa.decimal256(70, 1)),
    ], names=["d32", "d64", "d128", "d256"])]


def times():
    base = datetime.datetime(2026, 12, 1, 10, 30, 15, 123456)
    ts = [base + datetime.timedelta(hours=i) if i != 1 else None for i in range(N)]
    cols = {
        "date32": arr([datetime.date(2026, 1, i + 1) if i != 2 else None for i in range(N)], pa.date32()),
        "date64": arr([datetime.date(1970, 1, i + 1) if i != 2 else None for i in range(N)], pa.date64()),
        "time32s": arr([datetime.time(1, 2, i) for i in range(N)], pa.time32("s")),
        "time32ms": arr([datetime.time(1, 2, 3, i * 1000) for i in range(N)], pa.time32("ms")),
        "time64us": arr([datetime.time(1, 2, 3, i) for i in range(N)], pa.time64("us")),
        "time64ns": arr([i * 1000 for i in range(N)], pa.time64("ns")),
        "dur_s": arr([1, None, -3, 0, 5], pa.duration("s")),
        "dur_ns": arr([1, None, -3, 0, 5], pa.duration("ns")),
        "interval": arr([pa.MonthDayNano([1, 2, 3]), None, pa.MonthDayNano([-1, 0, 10**12]), pa.MonthDayNano([0, 0, 0]),
                         pa.MonthDayNano([12, 31, 1])], pa.month_day_nano_interval()),
    }
    for unit in ["s", "ms", "us", "ns"]:
        cols["ts_" + unit] = arr(ts, pa.timestamp(unit))
        cols["tsz_" + unit] = arr(ts, pa.timestamp(unit, tz="Asia/Kolkata"))
    return [pa.record_batch(list(cols.values()), names=list(cols))]


def strings():
    s = ["a", None, "", "héllo wörld", "x" * 40]
    b = [v.encode() if v is not None else None for v in s]
    return [pa.record_batch([
        arr(s, pa.string()), arr(s, pa.large_string()), arr(s, pa.string_view()),
        arr(b, pa.binary()), arr(b, pa.large_binary()), arr(b, pa.binary_view()),
        arr([b"abcd", None, b"\x00\x00\x00\x00", b"wxyz", b"1234"], pa.binary(4)),
    ], names=["string", "large_string", "string_view", "binary", "large_binary", "binary_view", "fixed_binary"])]


def lists():
    v = [[1, 2], None, [], [3], [4, 5, 6]]
    return [pa.record_batch([
        arr(v, pa.list_(pa.int32())), arr(v, pa.large_list(pa.int32())),
        arr(v, pa.list_view(pa.int32())), arr(v, pa.large_list_view(pa.int32())),
        arr([[1, 2], None, [3, 4], [5, None], [0, 0]], pa.list_(pa.int64(), 2)),
    ], names=["list", "large_list", "list_view", "large_list_view", "fixed_size_list"])]


def nested():
    dup = pa.StructArray.from_arrays([arr([1, 2, 3, 4, 5], pa.int32()), arr(list("abcde"), pa.string())], names=["x", "x"])
    struct = pa.StructArray.from_arrays([arr([1, None, 3, 4, 5], pa.int8()), dup], names=["a", "inner"],
                                        mask=pa.array([False, False, True, False, False]))
    map_type = pa.map_(pa.field("k", pa.string(), nullable=False), pa.field("v", pa.int64()))
    maps = arr([[("a", 1)], None, [], [("b", 2), ("c", None)], [("d", 4)]], map_type)
    sparse = pa.UnionArray.from_sparse(arr([0, 1, 0, 1, 1], pa.int8()),
                                       [arr([1, 2, 3, 4, 5], pa.int64()), arr(list("vwxyz"), pa.string())])
    dense = pa.UnionArray.from_dense(arr([0, 1, 1, 0, 1], pa.int8()), arr([0, 0, 1, 1, 2], pa.int32()),
                                     [arr([1.5, 2.5], pa.float64()), arr([True, False, None], pa.bool_())])
    return [pa.record_batch([struct, maps, sparse, dense], names=["struct", "map", "sparse_union", "dense_union"])]


def other():
    ree = pa.RunEndEncodedArray.from_arrays(arr([2, 5], pa.int32()), arr(["a", None], pa.string()))
    uuids = pa.array([uuid.UUID(int=i).bytes for i in range(N)], pa.uuid())
    tensors = pa.FixedShapeTensorArray.from_numpy_ndarray(__import__("numpy").arange(N * 4, dtype="int32").reshape(N, 2, 2))
    return [pa.record_batch([ree, uuids, tensors, pa.nulls(N)], names=["ree", "uuid", "tensor", "null"])]


def dictionaries():
    u8 = pa.DictionaryArray.from_arrays(arr([0, 1, None, 1, 0], pa.uint8()), arr(["x", "y"], pa.string()))
    inner = pa.DictionaryArray.from_arrays(arr([0, 1, 0, 0, 1, 1], pa.int16()), arr(["p", "q"], pa.string()))
    list_of_dict = pa.ListArray.from_arrays(arr([0, 2, 2, 3, 5, 6], pa.int32()), inner)
    struct_of_dict = pa.StructArray.from_arrays([u8], names=["u"])
    return [pa.record_batch([u8, list_of_dict, struct_of_dict], names=["u8", "list_of_dict", "struct_of_dict"])]


def changing_dictionaries():
    return [pa.record_batch([pa.DictionaryArray.from_arrays(arr(idx, pa.int32()), arr(d, pa.string()))], names=["c"])
            for idx, d in [([0, 1, 0], ["a", "b"]), ([0, 0], ["c"]), ([1, 0], ["d", "e"])]]


def growing_dictionaries():
    return [pa.record_batch([pa.DictionaryArray.from_arrays(arr(idx, pa.int32()), arr(d, pa.string()))], names=["c"])
            for idx, d in [([0, 1], ["a", "b"]), ([2, 0], ["a", "b", "c"]), ([3], ["a", "b", "c", "d"])]]


def pandas_categorical():
    import pandas as pd
    df = pd.DataFrame({"city": pd.Categorical(["Paris", "Oslo", "Paris", None]), "n": [1, 2, 3, 4]})
    return pa.Table.from_pandas(df).to_batches()


def more_dictionaries():
    of_struct = pa.DictionaryArray.from_arrays(arr([0, 1, 0, None, 1], pa.int32()), pa.array([{"x": 1}, {"x": None}]))
    of_list = pa.DictionaryArray.from_arrays(arr([1, 0, 1, 1, 0], pa.int64()), pa.array([[1, 2], [3]]))
    map_of_dict = pa.MapArray.from_arrays(arr([0, 2, 3, 3, 4, 5], pa.int32()), pa.array(list("abcde")),
                                          pa.DictionaryArray.from_arrays(arr([0, 1, 0, 1, 1], pa.int8()), pa.array(["p", "q"])))
    return [pa.record_batch([of_struct, of_list, map_of_dict], names=["of_struct", "of_list", "map_of_dict"])]


def layouts():
    """Views spread over many data buffers, sliced batches (non-zero offsets), unions with sparse type codes."""
    long = [f"{'x' * 100}{i}" for i in range(2000)]
    views = pa.concat_arrays([pa.array(long[:1000], pa.string_view()), pa.array(long[1000:], pa.string_view())])
    types = [5, 10, 5] * 667
    seen, offsets = {5: 0, 10: 0}, []
    for t in types:
        offsets.append(seen[t])
        seen[t] += 1
    codes = pa.UnionArray.from_dense(arr(types, pa.int8()), arr(offsets, pa.int32()),
                                     [arr(list(range(seen[5])), pa.int64()), arr([str(i) for i in range(seen[10])], pa.string())],
                                     type_codes=[5, 10])
    whole = pa.record_batch([views[:2000], codes[:2000], arr(list(range(2000)), pa.int64())], names=["views", "codes", "i"])
    return [whole.slice(17, 333), whole.slice(1500), whole.slice(0, 0)]


def canonical_extensions():
    return [pa.record_batch([arr(['{"a":1}', None, "[]", "2", "null"], pa.json_()), arr([1, 0, None, 1, 0], pa.bool8()),
                             pa.ExtensionArray.from_storage(pa.opaque(pa.binary(), "geometry", "vendor"),
                                                            arr([b"a", b"b", None, b"", b"\x00"], pa.binary()))],
                            names=["json", "bool8", "opaque"])]


def binary_metadata():
    """custom_metadata is bytes to Arrow C++: pyarrow takes bytes for keys and values, and an extension type
    serializes itself to whatever bytes it likes (here one pyarrow does not know, so it reads as its storage)."""
    blob = bytes(range(256))
    schema = pa.schema([pa.field("a", pa.int64(), metadata={b"k\xff": b"\x00\xfe\xff", b"blob": blob}),
                        pa.field("e", pa.int8(), metadata={b"ARROW:extension:name": b"vendor.pickled",
                                                           b"ARROW:extension:metadata": b"\x80\x04\x95\xff"})],
                       metadata={b"\xff\x00": b"\x80", b"blob": blob})
    return [pa.record_batch([arr([1, 2, None, 4, 5], pa.int64()), arr([1, 0, 1, None, 0], pa.int8())], schema=schema)]


def no_columns():
    return pa.table({"a": [1, 2, 3]}).drop_columns(["a"]).to_batches() * 2


def zero_batches():
    return pa.schema([("a", pa.int64()), ("b", pa.string())], metadata={"k": "v"})


def zero_length():
    return [pa.record_batch([arr([], pa.int64()), arr([], pa.string())], names=["a", "b"])] * 2


def many_tiny():
    return [pa.record_batch([arr([i], pa.int64()), arr([str(i)], pa.string())], names=["i", "s"]) for i in range(1000)]


def compressible(rows=20_000):
    return [pa.record_batch([arr([i % 10 for i in range(rows)], pa.int64()), arr(["repeat" for _ in range(rows)], pa.string())],
                            names=["n", "s"]) for _ in range(3)]


def with_metadata(batches):
    schema = batches[0].schema.with_metadata({"origin": "fidelity", "ünïcode": "✓"})
    fields = [f.with_metadata({"field": f.name}) for f in schema]
    schema = pa.schema(fields, metadata=schema.metadata)
    return [pa.record_batch(b.columns, schema=schema) for b in batches]


def opts(**kw):
    return pa.ipc.IpcWriteOptions(**kw)


CASES = {
    "primitives": (primitives, opts()),
    "decimals": (decimals, opts()),
    "times": (times, opts()),
    "strings": (strings, opts()),
    "lists": (lists, opts()),
    "nested": (nested, opts()),
    "other": (other, opts()),
    "dictionaries": (dictionaries, opts()),
    "changing_dictionaries": (changing_dictionaries, opts()),
    "dictionary_deltas": (growing_dictionaries, opts(emit_dictionary_deltas=True)),
    "more_dictionaries": (more_dictionaries, opts()),
    "layouts": (layouts, opts()),
    "canonical_extensions": (canonical_extensions, opts()),
    "binary_metadata": (binary_metadata, opts()),
    "no_columns": (no_columns, opts()),
    "pandas_categorical": (pandas_categorical, opts()),
    "zero_batches": (zero_batches, opts()),
    "zero_length_batches": (zero_length, opts()),
    "many_tiny_batches": (many_tiny, opts()),
    "zstd": (compressible, opts(compression="zstd")),
    "lz4": (compressible, opts(compression="lz4")),
    "metadata": (lambda: with_metadata(primitives()), opts()),
}


def batches_of(case):
    made = CASES[case][0]()
    if isinstance(made, pa.Schema):
        return made, []
    return made[0].schema, made


def same(a, b):
    """Whether two record batches or tables are equal, a NaN equal to a NaN (Arrow's equals says it is not)."""
    if a.equals(b):
        return True
    if not a.schema.equals(b.schema, check_metadata=True):
        return False
    for x, y in zip(a.columns, b.columns):
        if not x.equals(y) and not (pa.types.is_floating(x.type) and x.is_null().equals(y.is_null())
                                    and str(x.to_pylist()) == str(y.to_pylist())):
            return False
    return True


def app_metadata(i):
    return None if i % 2 else f"batch {i} ✓".encode()


def local_copy(schema, batches, options):
    """(schema, batches) as pyarrow reads them back from a local stream written with the same options."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema, options=options) as w:
        for b in batches:
            w.write_batch(b)
    reader = pa.ipc.open_stream(sink.getvalue())
    return reader.schema, list(reader)


def expected(case):
    """What pyarrow reads back from these batches written to a local stream with the same options."""
    return local_copy(*batches_of(case), CASES[case][1])


def put(client, path, case):
    schema, batches = batches_of(case)
    options = flight.FlightCallOptions(write_options=CASES[case][1])
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(path), schema, options=options)
    for i, b in enumerate(batches):
        md = app_metadata(i)
        if md is None:
            writer.write_batch(b)
        else:
            writer.write_with_metadata(b, pa.py_buffer(md))
    writer.done_writing()
    result = json.loads(reader.read().to_pybytes())
    writer.close()
    return result


def check(client, path, case):
    want_schema, want = expected(case)
    reader = client.do_get(flight.Ticket(path.encode()))
    assert reader.schema.equals(want_schema, check_metadata=True), path
    got = []
    while True:
        try:
            chunk = reader.read_chunk()
        except StopIteration:
            break
        got.append(chunk)
    assert len(got) == len(want), path
    for i, (chunk, batch) in enumerate(zip(got, want)):
        assert chunk.data.schema.equals(want_schema, check_metadata=True)
        assert same(chunk.data, batch), f"{path}: batch {i} differs"
        md = chunk.app_metadata.to_pybytes() if chunk.app_metadata is not None else None
        assert md == app_metadata(i), f"{path}: app_metadata of batch {i}"
    info = client.get_flight_info(flight.FlightDescriptor.for_path(path))
    assert info.schema.equals(want_schema, check_metadata=True)
    assert info.total_records == sum(b.num_rows for b in want)


def flight_path(prefix, case):
    return f"{prefix}{RUN}/{case}"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("case", list(CASES))
def test_round_trip(client, prefix, case):
    p = flight_path(prefix, case)
    if PHASE == "put":
        result = put(client, p, case)
        assert result["rows"] == sum(b.num_rows for b in batches_of(case)[1])
    check(client, p, case)


@pytest.mark.skipif(PHASE != "put", reason="puts in the first phase only")
@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_compressed_bodies_are_stored_compressed(client, codec):
    prefix = PREFIXES[0]
    plain = f"{prefix}{RUN}/plain-for-{codec}"
    put(client, plain, codec)
    schema, batches = batches_of(codec)
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(plain + "-uncompressed"), schema)
    for b in batches:
        writer.write_batch(b)
    writer.done_writing()
    uncompressed = json.loads(reader.read().to_pybytes())["bodyBytes"]
    writer.close()
    compressed = json.loads(list(client.do_action(flight.Action("describe", plain.encode())))[0].body.to_pybytes())["bodyBytes"]
    assert compressed * 4 < uncompressed, (compressed, uncompressed)


@pytest.mark.skipif(not os.environ.get("HANGAR_FILE_DIRS"), reason="no tier or durable directories given")
def test_every_file_on_disk_is_an_arrow_file_pyarrow_opens():
    files = [f for d in os.environ["HANGAR_FILE_DIRS"].split(",") for f in pathlib.Path(d).rglob("*.arrow")]
    assert files
    for f in files:
        data = f.read_bytes()
        try:
            table = pa.ipc.open_file(pa.BufferReader(data)).read_all()
        except pa.ArrowInvalid as e:
            # The IPC file format has no dictionary replacement; such a flight reads as a stream after the magic.
            assert "replacement" in str(e).lower(), f"{f}: {e}"
            table = pa.ipc.open_stream(pa.BufferReader(data[8:])).read_all()
        stream = pa.ipc.open_stream(pa.BufferReader(data[8:])).read_all()
        # A file reader applies every delta before the first batch (the file format's rule), a stream reader
        # as they come: the dictionaries may differ, the values may not.
        assert same(table, stream) or str(table.to_pylist()) == str(stream.to_pylist()), f


@pytest.mark.skipif(PHASE != "put", reason="puts in the first phase only")
def test_metadata_version_v4_is_refused_naming_it(client):
    path = f"{PREFIXES[0]}{RUN}/v4"
    schema, batches = batches_of("primitives")
    options = flight.FlightCallOptions(write_options=opts(metadata_version=pa.ipc.MetadataVersion.V4))
    with pytest.raises(pa.ArrowInvalid, match=r'message 0 \(schema\): metadata version V4 is not supported \(Hangar stores Arrow IPC '
                                              r'metadata version V5, written by Arrow 1.0 and later\)'):
        writer, _ = client.do_put(flight.FlightDescriptor.for_path(path), schema, options=options)
        writer.write_batch(batches[0])
        writer.close()
    with pytest.raises(pa.ArrowKeyError):
        client.get_flight_info(flight.FlightDescriptor.for_path(path))


# ---- dictionaries that a delta would make pyarrow refuse ------------------------------------------------------
# Arrow C++ validates a dictionary in full when a delta extends it, so one flawed dictionary batch makes pyarrow
# refuse the whole stream. Hangar checks every dictionary batch that way before it stores it.

def _list_of(offsets, child, list_type=None):
    return pa.Array.from_buffers(list_type or pa.list_(child.type), len(offsets) - 1,
                                 [None, pa.array(offsets, pa.int32()).buffers()[1]], children=[child])


def _not_utf8():
    return pa.Array.from_buffers(pa.string(), 1, [None, pa.array([0, 2], pa.int32()).buffers()[1], pa.py_buffer(b"\xff\xfe")])


def _list_views(offsets, sizes):
    return pa.Array.from_buffers(pa.list_view(pa.int32()), len(offsets), [None, pa.array(offsets, pa.int32()).buffers()[1],
                                                                          pa.array(sizes, pa.int32()).buffers()[1]],
                                 children=[pa.array([1, 2, 3, 4, 5, 6], pa.int32())])


def _fixed(type, values, width):
    return pa.Array.from_buffers(type, len(values), [None, pa.array(values, pa.int32() if width == 4 else pa.int64()).buffers()[1]])


def _view_outside_its_data():
    views = pa.array(["a" * 20, "b"], pa.string_view())
    raw = bytearray(views.buffers()[1].to_pybytes())
    raw[12:16] = (1000).to_bytes(4, "little")  # the first view's offset, past its 20-byte data buffer
    return pa.Array.from_buffers(pa.string_view(), 2, [None, pa.py_buffer(bytes(raw)), views.buffers()[2]])


FLAWED_DICTIONARIES = {
    "string not UTF-8": (_not_utf8, lambda: pa.array(["x"]), 'column "c" has a value that is not UTF-8 at index 0'),
    "nested string not UTF-8": (lambda: _list_of([0, 1], _not_utf8()), lambda: pa.array([["y"]]), 'column "item" has a value that is not UTF-8'),
    "list offsets shrink": (lambda: _list_of([0, 3, 1, 5], pa.array([1, 2, 3, 4, 5], pa.int32())), lambda: pa.array([[9]], pa.list_(pa.int32())),
                            'column "c" has an offset 1 at value 1 after 3'),
    # the fuzz test's find: one offset flipped past the child's values, first and last still in place
    "list offset past its child": (lambda: _list_of([0, 3, 67108867, 5], pa.array([1, 2, 3, 4, 5], pa.int32())),
                                   lambda: pa.array([[9]], pa.list_(pa.int32())), 'column "c" has an offset 67108867 at value 1 after 3'),
    "binary offsets shrink": (lambda: pa.Array.from_buffers(pa.binary(), 2, [None, pa.array([0, 3, 1], pa.int32()).buffers()[1], pa.py_buffer(b"abc")]),
                              lambda: pa.array([b"z"]), 'column "c" has an offset 1 at value 1 after 3'),
    "run ends shrink": (lambda: pa.Array.from_buffers(pa.run_end_encoded(pa.int32(), pa.int64()), 3, [None],
                                                      children=[pa.array([2, 1, 3], pa.int32()), pa.array([1, 2, 3])]),
                        lambda: pa.RunEndEncodedArray.from_arrays(pa.array([1], pa.int32()), pa.array([4])), 'column "c" has run end 1 at 1'),
    "decimal beyond its precision": (lambda: pa.Array.from_buffers(pa.decimal128(3, 0), 1, [None, pa.py_buffer((10**6).to_bytes(16, "little"))]),
                                     lambda: pa.array([1], pa.decimal128(3, 0)), 'column "c" has the decimal 1000000 at index 0, more digits than its precision 3'),
    # the second dictionary holds the first and one more view, so the writer sends that one as a delta
    "list view past its child": (lambda: _list_views([0, 4], [1, 3]), lambda: _list_views([0, 4, 5], [1, 3, 1]),
                                 'column "c" has a list view at 4 of 3 values, outside its 6 child values'),
    "null count not its bitmap's": (lambda: pa.Array.from_buffers(pa.int32(), 3, [pa.py_buffer(bytes([0b101])), pa.array([1, 2, 3], pa.int32()).buffers()[1]], null_count=2),
                                  lambda: pa.array([4], pa.int32()), 'column "c" declares 2 nulls, but its validity bitmap has 1'),
    # an empty list inside sends one offset, which Arrow C++ still requires to be at least 0
    "empty list starting below 0": (lambda: _list_of([0, 0], pa.Array.from_buffers(pa.list_(pa.int32()), 0, [None, pa.array([-2**31], pa.int32()).buffers()[1]],
                                                                                children=[pa.array([], pa.int32())])),
                                    lambda: pa.array([[[1]]], pa.list_(pa.list_(pa.int32()))), 'column "item" has a first offset -2147483648 outside [0, 0]'),
    "time32 beyond a day": (lambda: _fixed(pa.time32("s"), [1, 90000], 4), lambda: pa.array([2], pa.time32("s")),
                            'column "c" has the time32[s] 90000 at index 1, outside a day [0, 86400)'),
    "time64 before midnight": (lambda: _fixed(pa.time64("ns"), [-1], 8), lambda: pa.array([2], pa.time64("ns")),
                               'column "c" has the time64[ns] -1 at index 0, outside a day [0, 86400000000000)'),
    "date64 not a whole day": (lambda: _fixed(pa.date64(), [5], 8), lambda: pa.array([0], pa.date64()),
                               'column "c" has the date64 5 at index 0, not a whole number of days'),
    "string view past its data": (_view_outside_its_data, lambda: pa.array(["c"], pa.string_view()), 'column "c" has a view at index 0 outside its data buffers'),
}


@pytest.mark.skipif(PHASE != "put", reason="puts in the first phase only")
@pytest.mark.parametrize("codec", [None, "lz4"])
@pytest.mark.parametrize("case", list(FLAWED_DICTIONARIES))
def test_a_dictionary_that_a_delta_would_make_pyarrow_refuse_is_refused(client, case, codec):
    flawed, more, says = FLAWED_DICTIONARIES[case]
    first, extra = flawed(), more()
    both = extra if case == "list view past its child" else pa.concat_arrays([first, extra])
    schema = pa.schema([("c", pa.dictionary(pa.int8(), first.type))])
    batches = [pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0], pa.int8()), first)], schema=schema),
               pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, len(first)], pa.int8()),
                                                               both)], schema=schema)]
    deltas = opts(emit_dictionary_deltas=True, compression=codec)  # compressed: checked as decompressed
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema, options=deltas) as w:
        for b in batches:
            w.write_batch(b)
    with pytest.raises((pa.ArrowInvalid, pa.ArrowIndexError)):  # the case is real: pyarrow refuses the stream itself
        pa.ipc.open_stream(sink.getvalue()).read_all()
    path = f"{PREFIXES[0]}{RUN}/flawed-dictionary"
    with pytest.raises(pa.ArrowInvalid) as refused:
        writer, _ = client.do_put(flight.FlightDescriptor.for_path(path), schema, options=flight.FlightCallOptions(write_options=deltas))
        for b in batches:
            writer.write_batch(b)
        writer.close()
    assert f"Cannot store flight \"{path}\": message 1: dictionary {says}" in str(refused.value)
    with pytest.raises(pa.ArrowKeyError):  # nothing stored
        client.get_flight_info(flight.FlightDescriptor.for_path(path))
