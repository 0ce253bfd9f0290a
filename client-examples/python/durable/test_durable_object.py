"""A durable copy is a plain Arrow IPC file: pyarrow reads it straight from the store (a directory,
or S3 through pyarrow's own S3 client), without Hangar, and gets the flight Hangar serves."""
import os

import pyarrow as pa
import pyarrow.flight as flight
import pyarrow.fs as pafs
import pyarrow.ipc as ipc


def served(path):
    client = flight.connect(os.environ["HANGAR_URL"])
    return client.do_get(flight.Ticket(path.encode())).read_all()


def check(reader, path):
    table = reader.read_all()
    meta = {k.decode(): v.decode() for k, v in (reader.metadata or {}).items()}
    assert meta["hangar.path"] == path
    assert int(meta["hangar.rows"]) == table.num_rows
    assert meta["hangar.checksum"].startswith("crc32c:")
    assert "hangar.committed" in meta
    assert table.equals(served(path))
    assert table.num_rows > 0


def test_filesystem_object_is_an_arrow_file():
    path = os.environ["HANGAR_FS_FLIGHT"]
    with pa.memory_map(os.environ["HANGAR_FS_FILE"]) as source:
        check(ipc.open_file(source), path)


def test_s3_object_is_an_arrow_file():
    s3 = pafs.S3FileSystem(
        access_key=os.environ["HANGAR_S3_KEY"],
        secret_key=os.environ["HANGAR_S3_SECRET"],
        endpoint_override=os.environ["HANGAR_S3_ENDPOINT"],
        scheme="http",
        region="us-east-1",
        allow_bucket_creation=False,
    )
    with s3.open_input_file(os.environ["HANGAR_S3_OBJECT"]) as source:
        check(ipc.open_file(source), os.environ["HANGAR_S3_FLIGHT"])
