"""SQL over Hangar's flights from Python with ADBC (adbc_driver_flightsql), against a live node.

    .venv/bin/python client-examples/python/sql_tour.py [grpc://127.0.0.1:8815]

Puts a small flight with pyarrow and another with ADBC's bulk ingestion, queries across them with
ADBC (results arrive as Arrow), runs a query with a bound parameter, lists the flights as tables,
stores a query's result as a new flight (the query-to-flight action) and reads it back with a plain
DoGet, then cleans up.
"""
import json
import sys

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow as pa
import pyarrow.flight as flight


def main(url="grpc://127.0.0.1:8815"):
    client = flight.connect(url)
    sales = pa.table({"region": ["emea", "apac", "emea", "amer"], "amount": [120.5, 80.0, 42.25, 99.9]})
    targets = pa.table({"region": ["emea", "apac", "amer"], "target": [150.0, 100.0, 90.0]})
    writer, _ = client.do_put(flight.FlightDescriptor.for_path("cache/tenant1/sales"), sales.schema)
    writer.write_table(sales)
    writer.close()

    # autocommit=True: Hangar's SQL is read-only and has no transactions to turn off
    with flight_sql.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        # bulk ingestion stores a flight too: the table name is its path
        print("ingested:", cur.adbc_ingest("cache/tenant1/targets", targets, mode="replace"), "rows")
        cur.execute("""
            SELECT s.region, sum(s.amount) AS total, any_value(t.target) AS target
            FROM "cache/tenant1/sales" s JOIN "cache/tenant1/targets" t USING (region)
            GROUP BY s.region ORDER BY s.region""")
        print(cur.fetch_arrow_table())

        cur.execute('SELECT count(*) FROM "cache/tenant1/sales" WHERE amount > ?', parameters=(90.0,))
        print("sales over 90:", cur.fetchone()[0])

        tables = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
        print("tables:", [t["table_name"] for c in tables for s in c["catalog_db_schemas"] for t in s["db_schema_tables"]])

    body = json.dumps({"sql": 'SELECT region, sum(amount) AS total FROM "cache/tenant1/sales" GROUP BY region',
                       "path": "cache/tenant1/reports/by-region"}).encode()
    stored = json.loads(next(iter(client.do_action(flight.Action("query-to-flight", body)))).body.to_pybytes())
    print("stored:", stored["path"], stored["rows"], "rows")
    print(client.do_get(flight.Ticket(stored["path"].encode())).read_all().sort_by("region"))

    for path in ["cache/tenant1/sales", "cache/tenant1/targets", "cache/tenant1/reports/by-region"]:
        list(client.do_action(flight.Action("delete", path.encode())))
    client.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
