"""Tools for MessageFuzzIT (flight-server): `write DIR` writes real Arrow IPC streams, one per case of the
fidelity suite, as seeds for mutation; `check DIR` reads every stream Hangar served back (DIR/*.arrows) with
pyarrow and fails, naming the file, on any it cannot read."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "dataplane"))
import pyarrow as pa  # noqa: E402
import test_fidelity as fidelity  # noqa: E402


def write(directory):
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for case, (_, options) in fidelity.CASES.items():
        schema, batches = fidelity.batches_of(case)
        if len(batches) > 20:
            batches = batches[:20]
        with pa.OSFile(str(out / f"{case}.arrows"), "wb") as sink, pa.ipc.new_stream(sink, schema, options=options) as w:
            for b in batches:
                w.write_batch(b)


def check(directory):
    files = sorted(pathlib.Path(directory).glob("*.arrows"))
    for f in files:
        try:
            pa.ipc.open_stream(pa.OSFile(str(f))).read_all()
        except Exception as e:  # noqa: BLE001
            print(f"UNREADABLE {f.name}: {type(e).__name__}: {e}")
            sys.exit(1)
    print(f"read {len(files)} streams")


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
