"""The simplest pyarrow (C++) Flight server: keeps what is put, returns it as a RecordBatchStream.
Prints its port on the first line, then serves until killed."""
import pyarrow.flight as fl


class Server(fl.FlightServerBase):
    def __init__(self):
        super().__init__("grpc://127.0.0.1:0")
        self.tables = {}

    def do_put(self, context, descriptor, reader, writer):
        self.tables["/".join(p.decode() for p in descriptor.path)] = reader.read_all()

    def do_get(self, context, ticket):
        return fl.RecordBatchStream(self.tables[ticket.ticket.decode()])


if __name__ == "__main__":
    server = Server()
    print(server.port, flush=True)
    server.serve()
