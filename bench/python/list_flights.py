"""Lists every flight at URL with pyarrow's (C++) Flight client, ROUNDS times; prints one line per round:
`list <flights> <seconds>`. The C++ client parses each FlightInfo protobuf and keeps its schema bytes."""
import sys
import time

import pyarrow.flight as fl


def main():
    url, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2
    client = fl.connect(url)
    for _ in range(rounds):
        start = time.perf_counter()
        count = 0
        for info in client.list_flights():
            count += 1
        print(f"list {count} {time.perf_counter() - start:.3f}", flush=True)
    client.close()


if __name__ == "__main__":
    main()
