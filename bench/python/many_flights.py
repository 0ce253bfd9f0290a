"""Puts N one-row flights (int64, float64, utf8) under PREFIX with 4 threads; prints the IPC bytes of one
such flight (schema message + record batch message + end marker, as pyarrow writes the stream)."""
import sys
import threading

import pyarrow as pa
import pyarrow.flight as fl


def main():
    url, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t = pa.table({"id": pa.array([1], pa.int64()), "value": pa.array([0.5], pa.float64()), "label": pa.array(["a"], pa.string())})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, t.schema) as w:
        w.write_table(t)
    threads = 4

    def run(k):
        c = fl.connect(url)
        for i in range(k, n, threads):
            writer, reader = c.do_put(fl.FlightDescriptor.for_path(f"{prefix}{i}"), t.schema)
            writer.write_table(t)
            writer.done_writing()
            reader.read()
            writer.close()
        c.close()

    ws = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    print(f"ipc_bytes {sink.getvalue().size}", flush=True)


if __name__ == "__main__":
    main()
