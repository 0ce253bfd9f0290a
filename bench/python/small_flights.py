"""Small-flight benchmark client (pyarrow): for each target 'name=url=path_prefix' given on the command line,
measures DoGet and DoPut of a ~1 KiB flight with 1 and 8 client threads, for --seconds each, and prints one
line per measurement: 'name op threads ops_per_s p50_ms p99_ms'. Targets take turns, rotating who goes first
in each of --rounds rounds, so that the machine's noise falls on all of them alike; medians per target are
left to the caller.

The flight: 16 rows of (int64, float64, utf8), an Arrow body of about 1 KiB."""
import argparse
import statistics
import threading
import time

import pyarrow as pa
import pyarrow.flight as fl


def table():
    n = 16
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "value": pa.array([i * 0.5 for i in range(n)], pa.float64()),
        "label": pa.array([f"label-{i:032d}" for i in range(n)], pa.string()),
    })


def put(client, path, t):
    writer, reader = client.do_put(fl.FlightDescriptor.for_path(path), t.schema)
    writer.write_table(t)
    writer.done_writing()
    reader.read()
    writer.close()


def get(client, path):
    return client.do_get(fl.Ticket(path.encode())).read_all().num_rows


def measure(url, prefix, op, threads, seconds, t):
    clients = [fl.connect(url) for _ in range(threads)]
    for i, c in enumerate(clients):  # each thread gets its own flight for puts; gets share one
        put(c, f"{prefix}small-{i}", t)
    put(clients[0], f"{prefix}small", t)
    latencies = [[] for _ in range(threads)]
    stop = time.perf_counter() + seconds

    def run(i):
        c = clients[i]
        path = f"{prefix}small" if op == "get" else f"{prefix}small-{i}"
        lat = latencies[i]
        while True:
            start = time.perf_counter()
            if start >= stop:
                break
            if op == "get":
                rows = get(c, path)
                assert rows == t.num_rows
            else:
                put(c, path, t)
            lat.append(time.perf_counter() - start)

    result = run_threads(run, threads, latencies)
    for c in clients:
        c.close()
    return result


def run_threads(run, threads, latencies):
    """Runs run(i) on threads 0..threads-1 and returns (ops/s, p50 ms, p99 ms) from the latencies they recorded."""
    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    begin = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - begin
    all_lat = sorted(x for lat in latencies for x in lat)
    ops = len(all_lat) / elapsed
    p50 = all_lat[len(all_lat) // 2] * 1e3
    p99 = all_lat[min(len(all_lat) - 1, int(len(all_lat) * 0.99))] * 1e3
    return ops, p50, p99


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("targets", nargs="+")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=2.0)
    args = ap.parse_args()
    t = table()
    body = sum(b.size for batch in t.to_batches() for col in batch.columns for b in col.buffers() if b is not None)
    print(f"# flight: {t.num_rows} rows, ~{body} bytes of buffers", flush=True)
    targets = [x.split("=", 2) for x in args.targets]
    # Warm up each server with every measurement a round makes (JIT, connections). After a warm-up of 1-thread calls
    # only, a JVM's first 8-thread round was its slowest (Hangar's DoGet p99 ~3.2 ms, then 1.44 ms; BENCHMARKS.md,
    # "The first round after warm-up").
    for name, url, prefix in targets:
        for op in ("get", "put"):
            for threads in (1, 8):
                measure(url, prefix, op, threads, args.warmup, t)
    for rnd in range(args.rounds):
        for k in range(len(targets)):
            name, url, prefix = targets[(rnd + k) % len(targets)]
            for op in ("get", "put"):
                for threads in (1, 8):
                    ops, p50, p99 = measure(url, prefix, op, threads, args.seconds, t)
                    print(f"{name} {op} {threads} {ops:.1f} {p50:.3f} {p99:.3f}", flush=True)


if __name__ == "__main__":
    main()
