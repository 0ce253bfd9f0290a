"""Fixtures shared by every pytest suite under client-examples/python: the node to talk to (HANGAR_URL) and a Flight client."""
import os

import pyarrow.flight as flight
import pytest


@pytest.fixture(scope="session")
def url():
    return os.environ.get("HANGAR_URL", "grpc://127.0.0.1:8815")


@pytest.fixture
def client(url):
    c = flight.connect(url)
    yield c
    c.close()
