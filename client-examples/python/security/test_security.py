"""A TLS node with authentication and per-prefix grants, from pyarrow and Python ADBC: TLS root
certificates, bearer tokens, Basic auth exchanged for a session token, client certificates, and
the refusals (no credentials, plain text against TLS, a certificate from another CA, another
tenant's flights, in Flight calls and in SQL).

Set by SecurityPyArrowIT: HANGAR_TLS_URL, HANGAR_CA, HANGAR_T1_TOKEN, HANGAR_T2_TOKEN,
HANGAR_READER_PASSWORD, HANGAR_T2_CERT/_KEY (a client certificate mapped to tenant2),
HANGAR_FOREIGN_CERT/_KEY (signed by a CA the node does not trust)."""
import os
import pathlib

import adbc_driver_flightsql
import adbc_driver_flightsql.dbapi as flight_sql
import adbc_driver_manager
import pyarrow as pa
import pyarrow.flight as flight
import pytest

URL = os.environ["HANGAR_TLS_URL"]
CA = pathlib.Path(os.environ["HANGAR_CA"]).read_bytes()
T1 = os.environ["HANGAR_T1_TOKEN"]
T2 = os.environ["HANGAR_T2_TOKEN"]
PASSWORD = os.environ["HANGAR_READER_PASSWORD"]
TABLE = pa.table({"id": pa.array(range(100), pa.int64()), "v": pa.array([i * 0.5 for i in range(100)])})
SCHEMES = ("send 'authorization: Bearer <token>' or 'authorization: Basic <base64 of user:password>',"
           " or connect with a client certificate mapped to a principal")


def bearer(token):
    return flight.FlightCallOptions(headers=[(b"authorization", b"Bearer " + token.encode())])


def connect(**kwargs):
    return flight.connect(URL, tls_root_certs=CA, **kwargs)


def put(client, path, options):
    writer, reader = client.do_put(flight.FlightDescriptor.for_path(path), TABLE.schema, options=options)
    writer.write_table(TABLE)
    writer.done_writing()
    reader.read()
    writer.close()


@pytest.fixture(scope="module", autouse=True)
def flights():
    with connect() as c:
        put(c, "cache/tenant1/orders", bearer(T1))
        put(c, "cache/tenant2/orders", bearer(T2))
    yield


def test_bearer_token_over_tls_reads_writes_and_lists_its_own_flights():
    with connect() as c:
        assert c.do_get(flight.Ticket(b"cache/tenant1/orders"), options=bearer(T1)).read_all().equals(TABLE)
        assert [f.descriptor.path[0].decode() for f in c.list_flights(options=bearer(T1))] == ["cache/tenant1/orders"]
        info = c.get_flight_info(flight.FlightDescriptor.for_path("cache/tenant1/orders"), options=bearer(T1))
        assert info.total_records == 100
        assert all(len(e.locations) == 0 for e in info.endpoints)  # never a grpc+tcp location


def test_another_tenants_flight_is_unauthorized_and_not_listed():
    with connect() as c:
        with pytest.raises(flight.FlightUnauthorizedError) as e:
            c.do_get(flight.Ticket(b"cache/tenant2/orders"), options=bearer(T1)).read_all()
        assert 'Principal "tenant1" may not read "cache/tenant2/orders": no read grant covers that path' in str(e.value)
        with pytest.raises(flight.FlightUnauthorizedError):
            put(c, "cache/tenant2/orders", bearer(T1))
        assert [f.descriptor.path[0].decode() for f in c.list_flights(b"cache/", options=bearer(T2))] == ["cache/tenant2/orders"]
        # tenant2's flight is unchanged
        assert c.do_get(flight.Ticket(b"cache/tenant2/orders"), options=bearer(T2)).read_all().equals(TABLE)


def test_basic_auth_returns_a_session_token_header():
    with connect() as c:
        name, value = c.authenticate_basic_token("reader", PASSWORD)
        assert name == b"authorization" and value.startswith(b"Bearer ")
        options = flight.FlightCallOptions(headers=[(name, value)])
        assert c.do_get(flight.Ticket(b"cache/tenant1/orders"), options=options).read_all().num_rows == 100
        with pytest.raises(flight.FlightUnauthenticatedError) as e:
            c.authenticate_basic_token("reader", "not the password")
        assert "Wrong user name or password; " + SCHEMES in str(e.value)


def test_client_certificate_authenticates_its_principal():
    cert = pathlib.Path(os.environ["HANGAR_T2_CERT"]).read_bytes()
    key = pathlib.Path(os.environ["HANGAR_T2_KEY"]).read_bytes()
    with connect(cert_chain=cert, private_key=key) as c:
        assert [f.descriptor.path[0].decode() for f in c.list_flights()] == ["cache/tenant2/orders"]


def test_refusals_without_credentials_in_plain_text_and_with_a_foreign_certificate():
    with connect() as c:
        with pytest.raises(flight.FlightUnauthenticatedError) as e:
            list(c.list_flights())
        assert "Authentication required: " + SCHEMES in str(e.value)
        with pytest.raises(flight.FlightUnauthenticatedError):
            list(c.list_flights(options=flight.FlightCallOptions(headers=[(b"authorization", b"Bearer nope")])))
    plain = flight.connect(URL.replace("grpc+tls://", "grpc://"))
    with pytest.raises(flight.FlightUnavailableError):
        list(plain.list_flights(options=bearer(T1)))
    plain.close()
    foreign = connect(cert_chain=pathlib.Path(os.environ["HANGAR_FOREIGN_CERT"]).read_bytes(),
                      private_key=pathlib.Path(os.environ["HANGAR_FOREIGN_KEY"]).read_bytes())
    with pytest.raises(flight.FlightError):
        list(foreign.list_flights(options=bearer(T1)))
    foreign.close()


def adbc(**db_kwargs):
    kwargs = {adbc_driver_flightsql.DatabaseOptions.TLS_ROOT_CERTS.value: CA.decode()}
    kwargs.update(db_kwargs)
    return flight_sql.connect(URL, db_kwargs=kwargs, autocommit=True)


def test_adbc_sql_with_a_token_and_with_a_password_reads_only_granted_flights():
    header = {adbc_driver_flightsql.DatabaseOptions.AUTHORIZATION_HEADER.value: "Bearer " + T1}
    with adbc(**header) as conn, conn.cursor() as cur:
        cur.execute('SELECT count(*) AS n, sum(v) AS s FROM "cache/tenant1/orders"')
        assert cur.fetchall() == [(100, sum(i * 0.5 for i in range(100)))]
        with pytest.raises(adbc_driver_manager.Error) as e:
            cur.execute('SELECT count(*) FROM "cache/tenant2/orders"')
            cur.fetchall()
        assert 'Principal "tenant1" may not read "cache/tenant2/orders"' in str(e.value)
        tables = conn.adbc_get_objects(depth="tables").read_all().to_pylist()
        names = [t["table_name"] for c in tables for s in c["catalog_db_schemas"] or [] for t in s["db_schema_tables"] or []]
        assert names == ["cache/tenant1/orders"]
    with adbc(username="reader", password=PASSWORD) as conn, conn.cursor() as cur:
        cur.execute('SELECT count(*) FROM "cache/tenant1/orders"')
        assert cur.fetchall() == [(100,)]
