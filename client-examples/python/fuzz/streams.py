"""Streams of the fidelity suite's cases, for the Java tests (flight-server):

- `write DIR`: one IPC stream per case, as seeds for MessageFuzzIT's mutations;
- `check DIR`: reads every stream Hangar served back (DIR/*.arrows) with pyarrow; fails, naming the file,
  on any it cannot read;
- `columns DIR`: one stream per column of every case (`case.column.arrows`), for the Arrow Java client's
  round trip (DataPlaneIT), except the cases whose dictionaries change between batches, which Arrow Java's
  Flight client cannot send (it sends each dictionary once, before the first batch), and the one whose
  metadata is not UTF-8, which Arrow Java cannot read; and one per column of the first batch of each random
  table of the fuzz corpus."""
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
    for i, (schema, batches, options, _) in enumerate(random_tables(RANDOM_SEEDS)):
        with pa.OSFile(str(out / f"random-{i}.arrows"), "wb") as sink, pa.ipc.new_stream(sink, schema, options=options) as w:
            for b in batches:
                w.write_batch(b)


RANDOM_SEEDS = 24


def random_tables(n):
    """The first n tables of distinct schemas (and at least one batch) that test_random_tables' strategy draws,
    the same ones every run (derandomized), so that a fuzz seed replays the same puts."""
    import hypothesis as h
    import test_random_tables
    found, schemas = [], set()

    @h.settings(max_examples=40 * n, derandomize=True, database=None, deadline=None, phases=[h.Phase.generate],
                suppress_health_check=list(h.HealthCheck))
    @h.given(test_random_tables.tables())
    def collect(table):
        if table[1] and len(found) < n and str(table[0]) not in schemas:  # one table per schema
            schemas.add(str(table[0]))
            found.append(table)

    collect()
    return found


def check(directory):
    files = sorted(pathlib.Path(directory).glob("*.arrows"))
    for f in files:
        try:
            pa.ipc.open_stream(pa.OSFile(str(f))).read_all()
        except Exception as e:  # noqa: BLE001
            print(f"UNREADABLE {f.name}: {type(e).__name__}: {e}")
            sys.exit(1)
    print(f"read {len(files)} streams")


def columns(directory):
    out = pathlib.Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for case in fidelity.CASES:
        if case in ("changing_dictionaries", "dictionary_deltas", "binary_metadata"):
            continue
        schema, batches = fidelity.batches_of(case)
        for i, field in enumerate(schema):
            one = pa.schema([field], metadata=schema.metadata)
            with pa.OSFile(str(out / f"{case}.{field.name}.arrows"), "wb") as sink, pa.ipc.new_stream(sink, one) as w:
                for b in batches:
                    w.write_batch(pa.record_batch([b.column(i)], schema=one))
    # the random tables of the fuzz corpus too, their first batch only (their dictionaries change between batches)
    for n, (schema, batches, _, _) in enumerate(random_tables(RANDOM_SEEDS)):
        for i, field in enumerate(schema):
            one = pa.schema([field], metadata=schema.metadata)
            with pa.OSFile(str(out / f"random-{n}.{field.name}.arrows"), "wb") as sink, pa.ipc.new_stream(sink, one) as w:
                w.write_batch(pa.record_batch([batches[0].column(i)], schema=one))


if __name__ == "__main__":
    {"write": write, "check": check, "columns": columns}[sys.argv[1]](sys.argv[2])
