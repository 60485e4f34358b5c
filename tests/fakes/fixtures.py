"""pytest fixtures for the fake vendors. Enable them with `pytest_plugins = ["tests.fakes.fixtures"]`
in tests/conftest.py, or import `fake_vendor` into a test module.

One server runs for the whole session; `fake_vendor` hands it to a test with no queued
behaviours and no recorded requests, and releases anything a test left stalled.
"""
from collections.abc import Iterator

import pytest

from tests.fakes.vendors import FakeVendor


@pytest.fixture(scope="session")
def fake_vendor_server() -> Iterator[FakeVendor]:
    with FakeVendor() as fake:
        yield fake


@pytest.fixture
def fake_vendor(fake_vendor_server: FakeVendor) -> Iterator[FakeVendor]:
    fake_vendor_server.reset()
    yield fake_vendor_server
    fake_vendor_server.reset()
