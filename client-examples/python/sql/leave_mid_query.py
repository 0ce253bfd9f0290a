"""Starts a runaway Flight SQL query (GetFlightInfo) and exits the process while it runs: the
connection drops with the call in flight. Usage: leave_mid_query.py grpc://host:port"""
import os
import sys
import threading
import time

import pyarrow.flight as flight


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


query = b"SELECT count(*) FROM range(1000000000000) t(x) WHERE x % 7 = 3"
command = field(1, b"type.googleapis.com/arrow.flight.protocol.sql.CommandStatementQuery") + field(2, field(1, query))
client = flight.connect(sys.argv[1])
threading.Thread(target=lambda: client.get_flight_info(flight.FlightDescriptor.for_command(command)), daemon=True).start()
time.sleep(1.0)
print("leaving with the query running", flush=True)
os._exit(0)
