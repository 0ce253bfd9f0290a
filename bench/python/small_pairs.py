"""Two storage classes of one node, read back to back: the 1 KiB flight of small_flights.py under prefix A and
under prefix B, one pyarrow client thread, --seconds each, A first, --pairs times. Prints each pair's ops/s and
B/A ratio, then the median ratio. Single pairs on a shared VM vary by ±30%; the median is the figure to read.

  python small_pairs.py grpc+tcp://127.0.0.1:8815 mem/ mapped/ --pairs 16"""
import argparse
import statistics

import small_flights as sf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--op", choices=("get", "put"), default="get")
    args = ap.parse_args()
    t = sf.table()
    for prefix in (args.a, args.b):  # warm up
        sf.measure(args.url, prefix, args.op, 1, 3.0, t)
    ratios = []
    for _ in range(args.pairs):
        a = sf.measure(args.url, args.a, args.op, 1, args.seconds, t)[0]
        b = sf.measure(args.url, args.b, args.op, 1, args.seconds, t)[0]
        ratios.append(b / a)
        print(f"{args.a} {a:.0f} {args.b} {b:.0f} ops/s, ratio {b / a:.3f}", flush=True)
    print(f"median {args.b}/{args.a}: {statistics.median(ratios):.3f} over {len(ratios)} pairs")


if __name__ == "__main__":
    main()
