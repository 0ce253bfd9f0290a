"""Run after test_limits.py and a restart of the server: quotas still count the durable flights."""
import pyarrow as pa
import pyarrow.flight as flight
import pytest

from test_limits import body, paths, put, scopes, table, UNIT


def test_durable_flights_still_count_after_a_restart(client):
    assert paths(client, "tenants/tenant2/") == ["tenants/tenant2/sales/q1"]
    assert paths(client, "cache/") == []  # a cache: gone with the restart
    s = scopes(client)["tenants/tenant2"]
    assert s["flights"] == 1 and body(table(4)) < s["total"] < body(table(4)) + 65536  # the object: a little more
    with pytest.raises(pa.ArrowException, match='scope "tenants/tenant2" allows total 5'):
        put(client, "tenants/tenant2/sales/q2", table(2))
    client.do_action(flight.Action("delete", b"tenants/tenant2/sales/q1"))
    put(client, "tenants/tenant2/sales/q2", table(2))
