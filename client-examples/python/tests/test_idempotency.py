"""x-hangar-idempotency-key: a put retried after its connection dropped is stored once."""
import json
import subprocess
import sys
import textwrap
import time

import pyarrow as pa
import pyarrow.flight as flight
import pytest

KEY = b"x-hangar-idempotency-key"
TABLE = pa.table({"v": pa.array(range(10_000), pa.int64())})


def puts(client):
    stats = json.loads(list(client.do_action(flight.Action("stats", b"")))[0].body.to_pybytes())
    return sum(c["puts"] for c in stats["storageClasses"].values())


def put(client, path, key):
    options = flight.FlightCallOptions(headers=[(KEY, key)])
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(*path.split("/")), TABLE.schema, options=options)
    writer.write_table(TABLE)
    writer.done_writing()
    answer = reader.read()
    writer.close()  # raises the put's error, if it failed
    return json.loads(answer.to_pybytes())


def test_a_put_retried_after_its_connection_dropped_is_stored_once(client, url):
    before = puts(client)
    # A loader sends the whole flight, then dies before it reads the answer (its process exits).
    dropped = textwrap.dedent(f"""
        import os, time
        import pyarrow as pa, pyarrow.flight as flight
        table = pa.table({{"v": pa.array(range(10_000), pa.int64())}})
        c = flight.connect({url!r})
        options = flight.FlightCallOptions(headers=[({KEY!r}, b"load-2026-12-01")])
        writer, reader = c.do_put(flight.FlightDescriptor.for_path("idem", "orders"), table.schema, options=options)
        writer.write_table(table)
        writer.done_writing()
        time.sleep(0.5)
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", dropped], check=True, timeout=60)
    deadline = time.time() + 10
    while puts(client) == before and time.time() < deadline:
        time.sleep(0.05)
    assert puts(client) == before + 1, "the server received everything and stored the flight"

    # The loader's retry, with the same key, gets the first put's result; nothing is stored again.
    first = put(client, "idem/orders", b"load-2026-12-01")
    again = put(client, "idem/orders", b"load-2026-12-01")
    assert first == again
    assert first["rows"] == 10_000
    assert puts(client) == before + 1
    assert client.do_get(flight.Ticket(b"idem/orders")).read_all().equals(TABLE)

    # The same key on another path is another put.
    put(client, "idem/other", b"load-2026-12-01")
    assert puts(client) == before + 2


@pytest.mark.parametrize("key", [b"", b"k" * 257])
def test_a_malformed_key_is_refused(client, key):
    before = puts(client)
    with pytest.raises(pa.ArrowInvalid, match="x-hangar-idempotency-key: it must be 1 to 256 printable ASCII"):
        put(client, "idem/bad", key)
    assert puts(client) == before
