"""Limit policies from pyarrow, against `./hangar serve --config config/examples/limits.yaml`.

The suite reads HANGAR_LIMIT_UNIT (default GiB): the Java test that runs it starts the example
scaled down to MiB, so "5 units" is the example's 5GiB default tenant quota.
"""
import json
import os

import pyarrow as pa
import pyarrow.flight as flight
import pytest

UNIT = {"MiB": 1 << 20, "GiB": 1 << 30}[os.environ.get("HANGAR_LIMIT_UNIT", "GiB")]
NAME = os.environ.get("HANGAR_LIMIT_UNIT", "GiB")


def table(units, seed=0):
    """An int64 table of just under `units` units of Arrow body bytes, as the server counts them."""
    rows = int(units * UNIT / 8.125) // 64 * 64  # 8 bytes a value, plus a validity bit
    return pa.table({"v": pa.array(range(seed, seed + rows), pa.int64())})


def batches(t):
    return t.to_batches(max_chunksize=max(8, t.num_rows // 4))


def body(t):
    """Arrow body bytes of `t` as pyarrow sends it, and so as Hangar stores and counts it: the values (no validity bitmap: no nulls)."""
    return sum(b.num_rows * 8 for b in batches(t))


def put(client, path, t):
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(path), t.schema)
    with writer:
        for batch in batches(t):
            writer.write_batch(batch)


def paths(client, prefix):
    return sorted("/".join(p.decode() for p in f.descriptor.path) for f in client.list_flights(prefix.encode()))


def scopes(client):
    (result,) = client.do_action(flight.Action("stats", b""))
    return {s["scope"]: s for s in json.loads(result.body.to_pybytes())["limitScopes"]}


def test_each_tenant_has_its_own_quota_and_a_refusal_names_it(client):
    put(client, "tenants/tenant2/sales/q1", table(4))
    with pytest.raises(pa.ArrowException) as refused:
        put(client, "tenants/tenant2/sales/q2", table(2))
    message = str(refused.value)
    assert 'Cannot store flight "tenants/tenant2/sales/q2"' in message
    assert f'limitPolicies[0] (hierarchical) scope "tenants/tenant2" allows total 5{NAME}' in message
    assert "delete flights under tenants/tenant2, or raise the limit" in message
    assert paths(client, "tenants/tenant2/") == ["tenants/tenant2/sales/q1"]
    put(client, "tenants/tenant3/sales/q1", table(4))  # another tenant, its own 5
    s = scopes(client)["tenants/tenant2"]
    assert s["total"] == body(table(4)) and s["totalLimit"] == 5 * UNIT and s["flights"] == 1 and s["rejectedPuts"] == 1


def test_tenant1_has_ten_of_which_data_source1_six(client):
    put(client, "tenants/tenant1/dataSource1/a", table(6))
    with pytest.raises(pa.ArrowException, match='scope "tenants/tenant1/dataSource1" allows total 6'):
        put(client, "tenants/tenant1/dataSource1/b", table(0.5))
    put(client, "tenants/tenant1/dataSource2/a", table(4))
    with pytest.raises(pa.ArrowException, match='scope "tenants/tenant1" allows total 10'):
        put(client, "tenants/tenant1/dataSource3/a", table(0.5))
    # at the quota, refreshing a flight with one of the same size still works
    put(client, "tenants/tenant1/dataSource2/a", table(4, seed=7))
    assert client.do_get(flight.Ticket(b"tenants/tenant1/dataSource2/a")).read_all()["v"][0].as_py() == 7


def test_each_database_type_is_a_cache_of_its_own(client):
    put(client, "cache/postgres/a", table(0.5))
    put(client, "cache/snowflake/a", table(0.75))
    put(client, "cache/postgres/b", table(0.75))  # 0.5 + 0.75 > 1: evicts postgres/a, not snowflake/a
    assert paths(client, "cache/") == ["cache/postgres/b", "cache/snowflake/a"]
    s = scopes(client)
    assert s["cache/postgres"]["evictions"] == 1 and s["cache/postgres"]["ephemeral"] == body(table(0.75))
    assert s["cache/snowflake"]["evictions"] == 0
