"""Mixed-workload client for ClusterBench (pyarrow): for each target 'name=mode=url[,url...]', runs --threads
client threads for --seconds, each bound to one of the target's URLs in turn, doing --get-ratio DoGets of a
random flight of a pool of --flights, and DoPuts (overwrites) of a random one otherwise. mode 'direct' reads
through the node the thread is bound to; mode 'follow' asks that node GetFlightInfo and reads from the
endpoint's first location (the owner), as location-aware clients do. Prints one line per target and round:
'name ops_per_s p50_ms p99_ms'. Targets take turns, rotating who goes first each round."""
import argparse
import random
import time

import pyarrow as pa
import pyarrow.flight as fl

from small_flights import put, run_threads


def table(rows, seed):
    return pa.table({
        "id": pa.array(range(seed, seed + rows), pa.int64()),
        "value": pa.array([i * 0.5 for i in range(rows)], pa.float64()),
    })


def measure(mode, urls, args, t):
    prefix = "mixed/"
    setup = fl.connect(urls[0])
    for i in range(args.flights):
        put(setup, f"{prefix}f{i}", t)
    setup.close()
    stop = time.perf_counter() + args.seconds
    latencies = [[] for _ in range(args.threads)]

    def run(i):
        rnd = random.Random(i)
        home = fl.connect(urls[i % len(urls)])
        owners = {}
        lat = latencies[i]
        while True:
            start = time.perf_counter()
            if start >= stop:
                break
            path = f"{prefix}f{rnd.randrange(args.flights)}"
            if rnd.random() < args.get_ratio:
                if mode == "follow":
                    info = home.get_flight_info(fl.FlightDescriptor.for_path(path))
                    ep = info.endpoints[0]
                    loc = ep.locations[0].uri.decode() if ep.locations else urls[i % len(urls)]
                    c = owners.get(loc)
                    if c is None:
                        c = owners[loc] = fl.connect(loc)
                    rows = c.do_get(ep.ticket).read_all().num_rows
                else:
                    rows = home.do_get(fl.Ticket(path.encode())).read_all().num_rows
                assert rows == t.num_rows
            else:
                put(home, path, t)
            lat.append(time.perf_counter() - start)
        home.close()
        for c in owners.values():
            c.close()

    return run_threads(run, args.threads, latencies)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="+")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--flights", type=int, default=200)
    ap.add_argument("--rows", type=int, default=4096)  # 2 x 8 bytes a row: 64 KiB of body
    ap.add_argument("--get-ratio", type=float, default=0.8)
    args = ap.parse_args()
    targets = [tuple(x.split("=", 2)) for x in args.targets]
    t = table(args.rows, 0)
    print(f"# {args.threads} threads, {args.flights} flights of {t.nbytes} bytes, {args.get_ratio:.0%} gets, {args.seconds}s x {args.rounds} rounds", flush=True)
    seconds = args.seconds
    args.seconds = 1.0
    for name, mode, urls in targets:  # warm-up: JIT, connections, pools; not reported
        measure(mode, urls.split(","), args, t)
    args.seconds = seconds
    for r in range(args.rounds):
        order = targets[r % len(targets):] + targets[:r % len(targets)]
        for name, mode, urls in order:
            ops, p50, p99 = measure(mode, urls.split(","), args, t)
            print(f"{name} {ops:.1f} {p50:.3f} {p99:.3f}", flush=True)


if __name__ == "__main__":
    main()
