"""Reads flights from a Hangar cluster the way any Flight client should: ask any node for the
FlightInfo, then read each endpoint from one of its locations (a node that holds the flight).

    python follow_locations.py grpc://127.0.0.1:8815 cache/tenant1/
"""
import sys

import pyarrow.flight as fl


def read_following_locations(url, prefix):
    entry = fl.connect(url)
    clients = {}
    read = 0
    for listed in entry.list_flights(prefix.encode()):
        info = entry.get_flight_info(listed.descriptor)
        for endpoint in info.endpoints:
            # Locations are the flight's owners, primary first; an empty list means "this node".
            location = endpoint.locations[0].uri.decode() if endpoint.locations else url
            client = clients.setdefault(location, fl.connect(location))
            table = client.do_get(endpoint.ticket).read_all()
            assert table.num_rows == info.total_records, (table.num_rows, info.total_records)
        read += 1
    for client in clients.values():
        client.close()
    entry.close()
    return read, sorted(clients)


if __name__ == "__main__":
    n, nodes = read_following_locations(sys.argv[1], sys.argv[2])
    print(f"{n} flights read from their owners ({len(nodes)} node(s): {', '.join(nodes)})")
