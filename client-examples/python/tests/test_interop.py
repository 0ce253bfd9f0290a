"""pyarrow.flight against a live Hangar server (HANGAR_URL): every RPC, many Arrow types, errors."""
import datetime
import decimal
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pyarrow as pa
import pyarrow.flight as flight
import pytest


def path(name):
    """A path unique to this test run, so tests never see each other's flights."""
    return f"py/{RUN}/{name}"


RUN = uuid.uuid4().hex[:8]


def table(rows=1000, seed=0):
    ids = list(range(seed, seed + rows))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "amount": pa.array([None if i % 7 == 3 else i * 0.25 for i in ids], pa.float64()),
            "region": pa.array([None if i % 11 == 5 else f"région-{i % 13}" for i in ids], pa.string()),
            "at": pa.array(
                [datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=i) for i in ids],
                pa.timestamp("us", tz="Europe/Paris"),
            ),
            "price": pa.array([None if i % 5 == 0 else decimal.Decimal(i % 100000) / 100 for i in ids], pa.decimal128(12, 2)),
            "tags": pa.array([None if i % 6 == 0 else list(range(i % 4)) for i in ids], pa.list_(pa.int64())),
            "flag": pa.array([None if i % 9 == 0 else i % 2 == 0 for i in ids], pa.bool_()),
        },
        metadata={b"source": b"interop-test"},
    )


def put(client, p, t, max_chunksize=None):
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(p), t.schema)
    writer.write_table(t, max_chunksize=max_chunksize)
    writer.done_writing()
    meta = reader.read()
    writer.close()
    return json.loads(meta.to_pybytes())


def action(client, name, body=b""):
    results = list(client.do_action(flight.Action(name, body)))
    assert len(results) == 1
    return json.loads(results[0].body.to_pybytes())


def test_put_get_list_info_schema_delete(client):
    t = table(5000)
    p = path("sales")
    result = put(client, p, t, max_chunksize=1000)
    assert result["path"] == p
    assert result["rows"] == 5000
    assert result["batches"] == 5
    assert result["tier"] == "memory"

    back = client.do_get(flight.Ticket(p.encode())).read_all()
    assert back.equals(t, check_metadata=True)
    assert back.schema.field("at").type == pa.timestamp("us", tz="Europe/Paris")
    assert back.column("price").null_count == t.column("price").null_count

    info = client.get_flight_info(flight.FlightDescriptor.for_path(*p.split("/")))
    assert info.total_records == 5000
    assert info.schema.equals(t.schema)
    assert info.endpoints[0].ticket.ticket == p.encode()
    assert client.do_get(info.endpoints[0].ticket).read_all().num_rows == 5000

    assert client.get_schema(flight.FlightDescriptor.for_path(p)).schema.equals(t.schema)
    listed = [f.descriptor.path for f in client.list_flights(f"py/{RUN}/".encode())]
    assert listed == [[p.encode()]]  # one segment: the full path

    described = action(client, "describe", p.encode())
    assert described["tier"] == "memory"
    assert described["rows"] == 5000

    assert action(client, "delete", p.encode())["deleted"] is True
    with pytest.raises(pa.ArrowKeyError, match=f'Flight "{p}" not found'):
        client.do_get(flight.Ticket(p.encode())).read_all()


def test_empty_flight_keeps_its_schema(client):
    t = table(0)
    p = path("empty")
    assert put(client, p, t)["rows"] == 0
    back = client.do_get(flight.Ticket(p.encode())).read_all()
    assert back.num_rows == 0
    assert back.schema.equals(t.schema)


def more_types():
    """Arrow types beyond table()'s, each with a null."""
    return pa.table(
        {
            "i8": pa.array([1, None, -3], pa.int8()),
            "u32": pa.array([1, 2, 4_000_000_000], pa.uint32()),
            "f32": pa.array([1.5, None, float("inf")], pa.float32()),
            "big": pa.array(["a" * 1000, None, ""], pa.large_string()),
            "bin": pa.array([b"\x00\x01", None, b""], pa.binary()),
            "d": pa.array([datetime.date(2026, 1, 1), None, datetime.date(1970, 1, 1)], pa.date32()),
            "s": pa.array([{"x": 1, "y": "a"}, None, {"x": None, "y": "c"}], pa.struct([("x", pa.int32()), ("y", pa.string())])),
            "m": pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64())),
            "n": pa.array([None, None, None], pa.null()),
        }
    )


def test_more_types_round_trip(client):
    t = more_types()
    p = path("types")
    put(client, p, t)
    assert client.do_get(flight.Ticket(p.encode())).read_all().equals(t)


def test_ttl_expiration_time_on_the_wire(client):
    # The default config has no TTL: the endpoint carries no expiration time.
    p = path("no-ttl")
    put(client, p, table(10))
    info = client.get_flight_info(flight.FlightDescriptor.for_path(p))
    assert info.endpoints[0].expiration_time is None


def test_invalid_paths_are_invalid_argument(client):
    for bad, message in [
        ("a//b", 'Invalid flight path "a//b": segment 2 is empty'),
        ("a/../b", 'segment 2 is "..", which is not allowed'),
        ("a\\b", "contains a backslash"),
    ]:
        with pytest.raises(pa.ArrowInvalid, match=message.replace("(", r"\(").replace(".", r"\.")):
            put(client, bad, table(10))
        with pytest.raises(pa.ArrowInvalid):
            client.do_get(flight.Ticket(bad.encode())).read_all()


def test_garbage_ticket(client):
    with pytest.raises(pa.ArrowInvalid, match="Invalid ticket: it is not UTF-8 text"):
        client.do_get(flight.Ticket(b"\xff\xfe")).read_all()


def test_unknown_flight_is_not_found(client):
    with pytest.raises(pa.ArrowKeyError, match='Flight "py/nothing/here" not found'):
        client.get_flight_info(flight.FlightDescriptor.for_path("py/nothing/here"))
    with pytest.raises(pa.ArrowKeyError):
        action(client, "delete", b"py/nothing/here")


def test_dictionary_columns_round_trip(client):
    p = path("dict")
    t = pa.table({"c": pa.array(["a", "b", "a"]).dictionary_encode()})
    put(client, p, t)
    back = client.do_get(flight.Ticket(p.encode())).read_all()
    assert back.equals(t)
    assert back.schema.field("c").type == pa.dictionary(pa.int32(), pa.string())


def test_stats(client):
    p = path("counted")
    put(client, p, table(100))
    client.do_get(flight.Ticket(p.encode())).read_all()
    stats = action(client, "stats")
    memory = stats["storageTypes"]["memory"]
    assert 0 < memory["bytes"] <= memory["capacity"]
    cls = stats["storageClasses"][""]
    assert cls["puts"] >= 1 and cls["hits"] >= 1 and cls["flights"] >= 1


def test_client_killed_mid_upload_leaves_nothing(client, url):
    p = path("killed")
    before = action(client, "stats")["storageTypes"]["memory"]["bytes"]
    uploader = textwrap.dedent(
        f"""
        import sys, pyarrow as pa, pyarrow.flight as flight
        c = flight.connect({url!r})
        batch = pa.record_batch([pa.array(range(100_000), pa.int64())], names=["v"])
        w, _ = c.do_put(flight.FlightDescriptor.for_path({p!r}), batch.schema)
        for i in range(100):  # 80MB, then hang without finishing the upload
            w.write_batch(batch)
        print("sent", flush=True)
        import time; time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", uploader], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "sent"
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    deadline = time.time() + 20
    while time.time() < deadline:
        if action(client, "stats")["storageTypes"]["memory"]["bytes"] == before:
            break
        time.sleep(0.1)
    assert action(client, "stats")["storageTypes"]["memory"]["bytes"] == before
    with pytest.raises(pa.ArrowKeyError):
        client.get_flight_info(flight.FlightDescriptor.for_path(p))
