"""Hangar's Flight SQL from Python's ADBC driver: queries against pyarrow's own answers,
parameters, metadata, errors, a reader closed early, and the SQL tour example."""
import importlib.util
import json
import pathlib
import time

import adbc_driver_flightsql.dbapi as flight_sql
import adbc_driver_manager
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest
from test_interop import more_types, table

PATH = "cache/py/sql/orders"


@pytest.fixture
def orders(client):
    n = 50_000
    table = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "region": pa.array([["emea", "apac", "amer", None][i % 4] for i in range(n)]),
        "amount": pa.array([i * 0.5 for i in range(n)], pa.float64()),
    })
    writer, _ = client.do_put(flight.FlightDescriptor.for_path(PATH), table.schema)
    writer.write_table(table, max_chunksize=8192)
    writer.close()
    yield table
    list(client.do_action(flight.Action("delete", PATH.encode())))


@pytest.fixture
def conn(url):
    with flight_sql.connect(url, autocommit=True) as c:
        yield c


def test_group_by_matches_pyarrow(conn, orders):
    with conn.cursor() as cur:
        cur.execute(f'SELECT region, sum(amount) AS total, count(*) AS n FROM "{PATH}" GROUP BY region')
        got = cur.fetch_arrow_table().sort_by("region")
    want = (orders.group_by("region").aggregate([("amount", "sum"), ("id", "count")])
            .rename_columns(["region", "total", "n"]).sort_by("region"))
    assert got.column("region").to_pylist() == want.column("region").to_pylist()
    assert got.column("total").to_pylist() == want.column("total").to_pylist()
    # count(*) counts the null region's rows too, as pyarrow's count of ids does
    assert got.column("n").to_pylist() == want.column("n").to_pylist()


def test_parameters_and_whole_table(conn, orders):
    with conn.cursor() as cur:
        cur.execute(f'SELECT id, amount FROM "{PATH}" WHERE amount >= ? AND region = ? ORDER BY id',
                    parameters=(20_000.0, "apac"))
        got = cur.fetch_arrow_table()
        mask = pc.and_(pc.greater_equal(orders["amount"], 20_000.0), pc.equal(orders["region"], "apac"))
        assert got.column("id").to_pylist() == orders.filter(mask).column("id").to_pylist()
        cur.execute(f'SELECT * FROM "{PATH}" ORDER BY id')
        assert cur.fetch_arrow_table().equals(orders)


def test_every_type_the_flight_api_round_trips_comes_back_from_sql(client, conn):
    # DuckDB's Arrow export normalises a few types; the values are the same:
    # timestamps with a zone come back in UTC, large_string as string, list items named "l".
    for name, t in [("cache/py/sql/types-1", table(1000)), ("cache/py/sql/types-2", more_types())]:
        writer, _ = client.do_put(flight.FlightDescriptor.for_path(name), t.schema)
        writer.write_table(t)
        writer.close()
        with conn.cursor() as cur:
            cur.execute(f'SELECT * FROM "{name}" ORDER BY ALL')
            got = cur.fetch_arrow_table()
        want = t.sort_by([(f.name, "ascending") for f in t.schema if f.name in ("id", "i8")])
        assert got.num_rows == t.num_rows
        for f in t.schema:
            assert got.column(f.name).cast(f.type).equals(want.column(f.name)), f.name
        list(client.do_action(flight.Action("delete", name.encode())))


def test_catalog(conn, orders):
    objects = conn.adbc_get_objects(depth="all", catalog_filter="memory", table_name_filter="cache/py/sql/%").read_all().to_pylist()
    tables = objects[0]["catalog_db_schemas"][0]["db_schema_tables"]
    assert [t["table_name"] for t in tables] == [PATH]
    assert [c["column_name"] for c in tables[0]["table_columns"]] == ["id", "region", "amount"]
    assert conn.adbc_get_table_schema(PATH) == orders.schema
    assert conn.adbc_get_info()["vendor_name"] == "Hangar"


def test_errors(conn, orders):
    with conn.cursor() as cur:
        with pytest.raises(adbc_driver_manager.ProgrammingError, match='there is no flight "cache/py/nope"'):
            cur.execute('SELECT * FROM "cache/py/nope"')
        with pytest.raises(adbc_driver_manager.Error, match='Parser Error: syntax error at or near "SELEC"'):
            cur.execute("SELEC 1")
        cur.execute(f'SELECT count(*) FROM "{PATH}"')
        assert cur.fetchone() == (len(orders),)


def sql_stats(client):
    return json.loads(next(iter(client.do_action(flight.Action("stats", b"")))).body.to_pybytes())["sql"]


def test_reader_closed_early(client, conn, orders):
    cancelled = sql_stats(client)["cancelled"]
    with conn.cursor() as cur:
        cur.execute(f'SELECT a.id, b.id FROM "{PATH}" a, "{PATH}" b')  # 2.5 billion rows
        reader = cur.fetch_record_batch()
        assert reader.read_next_batch().num_rows > 0
        reader.close()
        # the server hears the cancel and stops DuckDB: the query gives its slot back
        deadline = time.monotonic() + 10
        while sql_stats(client)["running"] > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        stats = sql_stats(client)
        assert stats["running"] == 0
        assert stats["cancelled"] == cancelled + 1
        cur.execute("SELECT 1")  # the connection goes on working
        assert cur.fetchone() == (1,)


def test_sql_tour_example_runs(url, capsys):
    path = pathlib.Path(__file__).resolve().parents[1] / "sql_tour.py"
    spec = importlib.util.spec_from_file_location("sql_tour", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(url)
    out = capsys.readouterr().out
    assert "sales over 90: 2" in out
    assert "cache/tenant1/sales" in out and "cache/tenant1/targets" in out
    assert "stored: cache/tenant1/reports/by-region 3 rows" in out
    assert "total: [[162.75]]" in out or "162.75" in out
