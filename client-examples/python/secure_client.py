"""A pyarrow and ADBC client of a node with TLS and authentication (config/examples/secure.yaml).

    python secure_client.py grpc+tls://HOST:8815 ca.pem [PATH] --token TOKEN
    python secure_client.py grpc+tls://HOST:8815 ca.pem [PATH] --user NAME --password PASSWORD
    python secure_client.py grpc+tls://HOST:8815 ca.pem [PATH] --cert client.pem --key client-key.pem

Lists the flights the principal may read; with PATH, reads it and counts its rows with SQL (ADBC).
Prints one line per result: "listed <path>", "rows <n>", "sql <n>", or "refused <message>"."""
import argparse
import pathlib

import adbc_driver_flightsql
import adbc_driver_flightsql.dbapi as flight_sql
import adbc_driver_manager
import pyarrow.flight as flight


def main():
    a = argparse.ArgumentParser()
    a.add_argument("url")
    a.add_argument("ca")
    a.add_argument("path", nargs="?")
    a.add_argument("--token")
    a.add_argument("--user")
    a.add_argument("--password")
    a.add_argument("--cert")
    a.add_argument("--key")
    args = a.parse_args()
    ca = pathlib.Path(args.ca).read_bytes()

    # Flight: trust the node's CA; a client certificate if given (mutual TLS)
    tls = {"tls_root_certs": ca}
    if args.cert:
        tls["cert_chain"] = pathlib.Path(args.cert).read_bytes()
        tls["private_key"] = pathlib.Path(args.key).read_bytes()
    client = flight.connect(args.url, **tls)
    headers = []
    if args.token:
        headers = [(b"authorization", b"Bearer " + args.token.encode())]
    elif args.user:
        # Basic auth once (Handshake); the node answers with a session token for the calls that follow
        headers = [client.authenticate_basic_token(args.user, args.password)]
    options = flight.FlightCallOptions(headers=headers)
    for info in client.list_flights(options=options):
        print("listed", info.descriptor.path[0].decode(), flush=True)
    if not args.path:
        return
    try:
        table = client.do_get(flight.Ticket(args.path.encode()), options=options).read_all()
        print("rows", table.num_rows, flush=True)
    except flight.FlightError as e:
        print("refused", str(e).split(". gRPC client debug context")[0], flush=True)

    # SQL through ADBC: the same credentials as database options
    kwargs = {adbc_driver_flightsql.DatabaseOptions.TLS_ROOT_CERTS.value: ca.decode()}
    if args.token:
        kwargs[adbc_driver_flightsql.DatabaseOptions.AUTHORIZATION_HEADER.value] = "Bearer " + args.token
    elif args.user:
        kwargs["username"], kwargs["password"] = args.user, args.password
    else:
        kwargs[adbc_driver_flightsql.DatabaseOptions.MTLS_CERT_CHAIN.value] = pathlib.Path(args.cert).read_text()
        kwargs[adbc_driver_flightsql.DatabaseOptions.MTLS_PRIVATE_KEY.value] = pathlib.Path(args.key).read_text()
    with flight_sql.connect(args.url, db_kwargs=kwargs, autocommit=True) as conn, conn.cursor() as cur:
        try:
            cur.execute(f'SELECT count(*) FROM "{args.path}"')
            print("sql", cur.fetchall()[0][0], flush=True)
        except adbc_driver_manager.Error as e:
            print("refused", str(e).splitlines()[0], flush=True)


if __name__ == "__main__":
    main()
