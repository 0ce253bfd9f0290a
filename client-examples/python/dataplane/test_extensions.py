"""A column that claims one of Arrow's canonical extension types is stored only if readers that know the
type can read it back.

Arrow C++ (pyarrow, ADBC) knows all six canonical types and refuses a whole stream in which a column claims
one without conforming (wrong storage, metadata that is not the JSON the type defines). Each case here is a
schema written by pyarrow's own writer (which does not check); what Hangar must do is what pyarrow's reader
does with the same bytes: read it (then Hangar stores it and serves it back unchanged) or refuse it (then
Hangar refuses the put with INVALID_ARGUMENT naming the column and the type, and keeps nothing).
"""
import io
import os

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.ipc as ipc
import pytest

PREFIX = [p for p in os.environ.get("HANGAR_PREFIXES", "fidelity/").split(",") if p][0]
PHASE = os.environ.get("HANGAR_PHASE", "put")


def fsl(n, t=pa.int32()):
    return pa.list_(t, n)


VST = pa.struct([("data", pa.list_(pa.int32())), ("shape", fsl(2))])

CASES = [
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"dim_names":["a","b"],"permutation":[1,0]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"extra":1} '),
    ("arrow.fixed_shape_tensor", fsl(1), '{"shape":[]}'),
    ("arrow.fixed_shape_tensor", fsl(0), '{"shape":[0,5]}'),
    ("arrow.fixed_shape_tensor", fsl(6, pa.string()), '{"shape":[6]}'),
    ("arrow.fixed_shape_tensor", fsl(4), '{"shape":[2,3]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[-2,-3]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2.0,3]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3000000000]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"dim_names":["a"]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"dim_names":["a",1]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"dim_names":null}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"permutation":[1,1]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"permutation":[0]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3],"permutation":[0,2]}'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3]}x'),
    ("arrow.fixed_shape_tensor", fsl(6), '{"shape":[2,3]'),
    ("arrow.fixed_shape_tensor", fsl(6), '[1]'),
    ("arrow.fixed_shape_tensor", fsl(6), ''),
    ("arrow.fixed_shape_tensor", pa.list_(pa.int32()), '{"shape":[2,3]}'),
    ("arrow.variable_shape_tensor", VST, '{}'),
    ("arrow.variable_shape_tensor", VST, '{"uniform_shape":[null,3],"dim_names":["a","b"],"permutation":[1,0]}'),
    ("arrow.variable_shape_tensor", VST, ''),
    ("arrow.variable_shape_tensor", VST, '{"uniform_shape":[1]}'),
    ("arrow.variable_shape_tensor", pa.struct([("shape", fsl(2)), ("data", pa.list_(pa.int32()))]), '{}'),
    ("arrow.variable_shape_tensor", pa.struct([("data", pa.large_list(pa.int32())), ("shape", fsl(2))]), '{}'),
    ("arrow.variable_shape_tensor", pa.struct([("data", pa.list_(pa.int32())), ("shape", fsl(2, pa.int64()))]), '{}'),
    ("arrow.variable_shape_tensor", pa.struct([("data", pa.list_(pa.int32())), ("shape", fsl(2)), ("z", pa.int8())]), '{}'),
    ("arrow.json", pa.string(), ''),
    ("arrow.json", pa.large_string(), 'anything'),
    ("arrow.json", pa.string_view(), ''),
    ("arrow.json", pa.binary(), ''),
    ("arrow.uuid", pa.binary(16), ''),
    ("arrow.uuid", pa.binary(16), 'x'),
    ("arrow.uuid", pa.binary(15), ''),
    ("arrow.uuid", pa.dictionary(pa.int8(), pa.binary(16)), ''),
    ("arrow.bool8", pa.int8(), ''),
    ("arrow.bool8", pa.int8(), ' '),
    ("arrow.bool8", pa.uint8(), ''),
    ("arrow.opaque", pa.int8(), '{"type_name":"x","vendor_name":"y"}'),
    ("arrow.opaque", pa.null(), '{"type_name":"","vendor_name":"","z":1}'),
    ("arrow.opaque", pa.int8(), '{"type_name":"x"}'),
    ("arrow.opaque", pa.int8(), '{"type_name":1,"vendor_name":"y"}'),
    ("arrow.opaque", pa.int8(), 'garbage'),
    ("vendor.unknown", pa.int8(), 'garbage'),
    ("arrow.not_canonical", pa.int8(), '{'),
]


def schema(name, storage, metadata):
    return pa.schema([pa.field("c", storage, metadata={"ARROW:extension:name": name, "ARROW:extension:metadata": metadata})])


def pyarrow_reads(s):
    """The schema pyarrow reads from a stream of schema s written locally, or None if it refuses it."""
    sink = io.BytesIO()
    ipc.new_stream(sink, s).close()
    try:
        return ipc.open_stream(sink.getvalue()).read_all().schema
    except pa.ArrowException:
        return None


@pytest.fixture(scope="module")
def client():
    with flight.connect(os.environ["HANGAR_URL"]) as c:
        yield c


@pytest.mark.skipif(PHASE != "put", reason="checked when flights are put")
@pytest.mark.parametrize("i", range(len(CASES)), ids=[f"{c[0]}-{c[1]}-{c[2]!r}" for c in CASES])
def test_hangar_stores_what_arrow_cpp_reads_and_refuses_the_rest(client, i):
    s = schema(*CASES[i])
    path = f"{PREFIX}extensions/{i}"
    descriptor = flight.FlightDescriptor.for_path(path)
    expected = pyarrow_reads(s)
    if expected is not None:
        writer, _ = client.do_put(descriptor, s)
        writer.write_table(s.empty_table())
        writer.close()
        back = client.do_get(flight.Ticket(path.encode())).read_all()
        assert back.schema.equals(expected, check_metadata=True)
    else:
        with pytest.raises(pa.ArrowInvalid, match=f'column "c" claims the canonical extension type {CASES[i][0]}, but '):
            writer, _ = client.do_put(descriptor, s)
            writer.write_table(s.empty_table())
            writer.close()
        with pytest.raises(pa.ArrowKeyError):
            client.get_flight_info(descriptor)


def test_the_cases_cover_both_verdicts():
    verdicts = [pyarrow_reads(schema(*c)) is not None for c in CASES]
    assert verdicts.count(True) >= 10 and verdicts.count(False) >= 20
