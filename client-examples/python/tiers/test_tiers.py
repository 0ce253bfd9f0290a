"""pyarrow against a node whose class spans memory, disk_mapped and disk (see TieredPyArrowIT)."""
import json

import pyarrow as pa
import pyarrow.flight as flight

MiB = 1 << 20


def table(mib, seed):
    rows = mib * MiB // 16  # two int64 columns
    start = seed * 10_000_000
    return pa.table({"a": pa.array(range(start, start + rows), pa.int64()), "b": pa.array(range(rows), pa.int64())})


def put(client, path, t):
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(path), t.schema)
    writer.write_table(t, max_chunksize=64 * 1024)
    writer.done_writing()
    result = json.loads(reader.read().to_pybytes())
    writer.close()
    return result


def describe(client, path):
    return json.loads(list(client.do_action(flight.Action("describe", path.encode())))[0].body.to_pybytes())


def test_upload_larger_than_the_memory_tier_spills_and_reads_back_identical(client):
    t = table(64, 1)
    result = put(client, "spill/big", t)  # class "spill/": memory admits 40MiB, then disk_mapped
    assert result["tier"] == "disk_mapped"
    assert describe(client, "spill/big")["tier"] == "disk_mapped"
    assert client.do_get(flight.Ticket(b"spill/big")).read_all().equals(t)
    stats = json.loads(list(client.do_action(flight.Action("stats", b"")))[0].body.to_pybytes())
    assert stats["storageClasses"]["spill/"]["spills"] == 1


def test_ten_flights_through_a_small_memory_tier_with_eviction_spill_all_read_back(client):
    tables = {f"evict/{i}": table(30, i) for i in range(10)}
    for path, t in tables.items():
        assert put(client, path, t)["tier"] == "memory"
    tiers = {path: describe(client, path)["tier"] for path in tables}
    assert sum(1 for t in tiers.values() if t == "memory") <= 3  # 96MiB of memory
    assert set(tiers.values()) <= {"memory", "disk"}
    for path, t in tables.items():
        assert client.do_get(flight.Ticket(path.encode())).read_all().equals(t), path
    stats = json.loads(list(client.do_action(flight.Action("stats", b"")))[0].body.to_pybytes())
    assert stats["storageClasses"]["evict/"]["flights"] == 10
    assert stats["storageClasses"]["evict/"]["spills"] >= 7
