"""A pyarrow Flight client driven over stdin: 'put URL PATH' or 'get URL PATH' per line; answers
the seconds the call took. Builds the benchmark table (int64, float64, utf8; 64Ki-row batches) once."""
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as fl

ROWS = 64 * 1024


def build(target_bytes):
    batches, size, n = [], 0, 0
    while size < target_bytes:
        ids = pa.array(range(n, n + ROWS), pa.int64())
        suffixes = pc.cast(pa.array([i % 100_000 for i in range(n, n + ROWS)], pa.int64()), pa.string())
        labels = pc.binary_join_element_wise("label-", suffixes, "")
        batch = pa.record_batch([ids, pc.multiply(pc.cast(ids, pa.float64()), 0.5), labels], names=["id", "value", "label"])
        batches.append(batch)
        size += batch.nbytes
        n += ROWS
    return pa.Table.from_batches(batches)


def main():
    table = build(int(float(sys.argv[1]) * (1 << 30)))
    clients = {}
    print(f"ready {table.num_rows} {table.nbytes}", flush=True)
    for line in sys.stdin:
        op, url, path = line.split()
        client = clients.setdefault(url, fl.connect(url))
        start = time.perf_counter()
        if op == "put":
            writer, reader = client.do_put(fl.FlightDescriptor.for_path(path), table.schema)
            writer.write_table(table, max_chunksize=ROWS)
            writer.done_writing()
            reader.read()
            writer.close()
            rows = table.num_rows
        else:
            rows = 0
            for chunk in client.do_get(fl.Ticket(path.encode())):
                rows += chunk.data.num_rows
        print(f"{time.perf_counter() - start:.6f} {rows}", flush=True)


if __name__ == "__main__":
    main()
