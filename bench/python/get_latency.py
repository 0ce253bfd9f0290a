"""Where the 8-thread DoGet tail goes: the client's latency against the server's own.

Reads the 1 KiB flight of small_flights.py with --threads pyarrow client threads from a running node, and for each
round scrapes the node's /metrics before and after, so that the client's p50/p99 stand beside the server's own
(grpc_server_processing_duration_seconds, from the call's start to its end on the server). With --renice PID the
rounds alternate between the node at its normal priority and at nice -15 (needs root): a node that the clients cannot
preempt shows what is left of the tail when the server takes no part in it.

Each round also measures the CPU a call costs: the client's (this process, getrusage) and, with --pid, the node's
(/proc/PID/stat, all its threads). With --peer URL (and --peer-pid) each round then reads the same flight from that
server too (the pyarrow server), so both servers' effect on the clients' CPU stands side by side.

Prints one line per round: 'nice N client ops/s p50 p99 | server p50 p99 p99.9 | cpu/call client server' (server
latency figures are bucket bounds), and 'peer client ops/s p50 p99 | cpu/call client server' for the peer."""
import argparse
import os
import re
import resource
import subprocess
import urllib.request

import small_flights as sf


def buckets(http):
    """The DoGet OK latency histogram from the node's /metrics: {upper bound in seconds: count}."""
    text = urllib.request.urlopen(f"http://{http}/metrics").read().decode()
    found = {}
    for line in text.splitlines():
        if line.startswith("grpc_server_processing_duration_seconds_bucket") and 'method="DoGet"' in line \
                and 'statusCode="OK"' in line:
            found[float(re.search(r'le="([^"]+)"', line).group(1))] = float(line.rsplit(" ", 1)[1])
    return found


def quantile(before, after, p):
    total = after[float("inf")] - before.get(float("inf"), 0)
    for le in sorted(after):
        if after[le] - before.get(le, 0) >= p * total:
            return le * 1e3


def cpu_seconds(pid):
    """User + system CPU seconds of process pid (None: this process)."""
    if pid is None:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(url, threads, seconds, t, pid):
    """(ops/s, p50 ms, p99 ms, client CPU µs per call, server CPU µs per call or None)."""
    client, server = cpu_seconds(None), pid and cpu_seconds(pid)
    ops, p50, p99 = sf.measure(url, "", "get", threads, seconds, t)
    calls = ops * seconds
    return (ops, p50, p99, (cpu_seconds(None) - client) / calls * 1e6,
            pid and (cpu_seconds(pid) - server) / calls * 1e6)


def cpu_line(client, server):
    return f"cpu/call client {client:.0f} us server " + (f"{server:.0f} us" if server else "-")


def renice(pid, n):
    for task in os.listdir(f"/proc/{pid}/task"):
        subprocess.run(["renice", "-n", str(n), "-p", task], check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="grpc+tcp://127.0.0.1:8815")
    ap.add_argument("--http", default="127.0.0.1:8816")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--renice", type=int, help="the node's pid: alternate its priority between 0 and -15")
    ap.add_argument("--pid", type=int, help="the node's pid, for its CPU per call")
    ap.add_argument("--peer", help="another server to read the same flight from each round (the pyarrow server)")
    ap.add_argument("--peer-pid", type=int, help="the peer's pid, for its CPU per call")
    args = ap.parse_args()
    t = sf.table()
    # Warm up with the whole cycle a round repeats, three times: connect, replace the flights, read, disconnect. One
    # long read alone leaves the JIT's profiles without a closing connection or a replaced flight, and the first
    # round then pays for deoptimizing and recompiling some 200 methods (BENCHMARKS.md, "The first round after warm-up").
    for url in filter(None, (args.url, args.peer)):
        for _ in range(3):
            sf.measure(url, "", "get", args.threads, 4.0, t)
    for _ in range(args.rounds):
        for nice in ((0, -15) if args.renice else (0,)):
            if args.renice:
                renice(args.renice, nice)
            before = buckets(args.http)
            ops, p50, p99, client, server = measured(args.url, args.threads, args.seconds, t, args.pid)
            after = buckets(args.http)
            print(f"nice {nice:3d} client {ops:7.0f} ops/s p50 {p50:.3f} p99 {p99:.3f} ms | server p50 <= "
                  f"{quantile(before, after, 0.5):.3f} p99 <= {quantile(before, after, 0.99):.3f} "
                  f"p99.9 <= {quantile(before, after, 0.999):.3f} ms | {cpu_line(client, server)}", flush=True)
        if args.peer:
            ops, p50, p99, client, server = measured(args.peer, args.threads, args.seconds, t, args.peer_pid)
            print(f"peer     client {ops:7.0f} ops/s p50 {p50:.3f} p99 {p99:.3f} ms | {cpu_line(client, server)}",
                  flush=True)
    if args.renice:
        renice(args.renice, 0)


if __name__ == "__main__":
    main()
