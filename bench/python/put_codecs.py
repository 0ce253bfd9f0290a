"""Puts one table with each IPC compression to Hangar and to a peer (the pyarrow server), alternating, one client.

Prints, per compression, the median seconds of each server over the rounds and their ratio (Hangar / peer: below
1.0 means Hangar took less time). The peer decodes what it is put (read_all); Hangar keeps the body as sent and
checks it (declared lengths, offsets, UTF-8), which for a compressed body means decoding it. Then the median time
of one SQL query over the stored flight through ADBC (`SELECT sum(id), count(DISTINCT s)`), which decompresses
every buffer on Hangar's side (no peer: the pyarrow server has no SQL). With --hangar-pid, also the median CPU
seconds Hangar's process spent on a put (all its threads, /proc/PID/stat): steadier than the wall time on a busy
machine."""
import argparse
import os
import statistics
import time

import adbc_driver_flightsql.dbapi as flight_sql
import pyarrow as pa
import pyarrow.flight as fl


def table(rows):
    return pa.table({"id": pa.array(range(rows), pa.int64()),
                     "s": pa.array([f"value-{i % 1000:06d}" for i in range(rows)])})


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def put(client, path, t, codec):
    options = fl.FlightCallOptions(write_options=pa.ipc.IpcWriteOptions(compression=codec))
    start = time.perf_counter()
    writer, _ = client.do_put(fl.FlightDescriptor.for_path(path), t.schema, options=options)
    writer.write_table(t, max_chunksize=1_000_000)
    writer.close()
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hangar", required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=8_000_000)
    ap.add_argument("--hangar-pid", type=int, help="the node's pid: also print its CPU seconds per put")
    args = ap.parse_args()
    t = table(args.rows)
    clients = {"hangar": fl.connect(args.hangar), "pyarrow": fl.connect(args.peer)}
    print(f"{t.nbytes / 2**20:.0f} MiB, {args.rows} rows in batches of 1 M, {args.rounds} rounds")
    print(f"{'compression':12s} {'hangar s':>9s} {'pyarrow s':>10s} {'hangar/pyarrow':>15s} {'SQL s':>7s}"
          + (f" {'hangar cpu s':>13s}" if args.hangar_pid else ""))
    sql = flight_sql.connect(args.hangar, autocommit=True)
    for codec in (None, "zstd", "lz4"):
        times = {name: [] for name in clients}
        cpu = []
        for name, client in clients.items():
            put(client, "codecs/warm", t.slice(0, 1_000_000), codec)
        for _ in range(args.rounds):
            for name, client in clients.items():
                measure_cpu = args.hangar_pid and name == "hangar"
                before = cpu_seconds(args.hangar_pid) if measure_cpu else 0
                times[name].append(put(client, "codecs/t", t, codec))
                if measure_cpu:
                    time.sleep(0.2)  # the put's last release runs after the client has its answer
                    cpu.append(cpu_seconds(args.hangar_pid) - before)
        h, p = statistics.median(times["hangar"]), statistics.median(times["pyarrow"])
        queries = []
        for _ in range(args.rounds):
            with sql.cursor() as cursor:
                start = time.perf_counter()
                cursor.execute('SELECT sum(id), count(DISTINCT s) FROM "codecs/t"')
                assert cursor.fetchone() == (args.rows * (args.rows - 1) // 2, min(args.rows, 1000))
                queries.append(time.perf_counter() - start)
        print(f"{codec or 'none':12s} {h:9.2f} {p:10.2f} {h / p:15.2f} {statistics.median(queries):7.2f}"
              + (f" {statistics.median(cpu):13.3f}" if cpu else ""), flush=True)


if __name__ == "__main__":
    main()
