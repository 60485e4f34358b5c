"""The load driver's statistics and its counting against a local fake vendor."""
import math

import orjson
import pytest

from bench.fake_vendor import VendorConfig, start_fake_vendor
from bench.load import VARY_MARKER, LoadResult, LoadSpec, _Connection, body_maker, chat_body, percentile, run_load


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0], 50) == 1.0


def test_percentile_of_nothing_is_nan():
    assert math.isnan(percentile([], 50))


def test_result_reports_rates_and_percentiles_in_milliseconds():
    result = LoadResult(concurrency=2, elapsed=2.0, latencies=[0.001, 0.002, 0.003, 0.004])
    result.errors["500"] += 2
    summary = result.summary()
    assert result.requests_per_second == 2.0
    assert result.total == 6
    assert summary["p50_ms"] == 2.0
    assert summary["p99_ms"] == 4.0
    assert summary["errors"] == {"500": 2}
    assert "first_chunk_p50_ms" not in summary


def test_vary_marker_makes_every_body_distinct():
    make = body_maker(chat_body("m", f"hello {VARY_MARKER}"))
    bodies = [make() for _ in range(100)]
    assert len(set(bodies)) == 100
    assert all(VARY_MARKER.encode() not in body for body in bodies)
    assert orjson.loads(bodies[0])["messages"][0]["content"].startswith("hello ")


def test_body_without_marker_stays_identical():
    make = body_maker(b'{"model":"m"}')
    assert make() == make() == b'{"model":"m"}'


@pytest.mark.parametrize("url", ["http://10.0.0.1:80/x", "https://127.0.0.1/x", "http://example.com/x"])
def test_spec_refuses_anything_but_plain_http_on_loopback(url):
    with pytest.raises(ValueError):
        LoadSpec(url=url, body=b"{}", concurrency=1)


@pytest.fixture
async def vendor_port():
    server = await start_fake_vendor(0, VendorConfig(chunks=4))
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


async def test_request_budget_is_honoured_exactly(vendor_port):
    spec = LoadSpec(url=f"http://127.0.0.1:{vendor_port}/v1/chat/completions", body=chat_body("m", "hi"),
                    concurrency=4, duration=30, requests=50)
    result = await run_load(spec)
    assert result.ok == 50
    assert not result.errors
    assert all(latency > 0 for latency in result.latencies)


async def test_non_2xx_answers_are_counted_by_status(vendor_port):
    spec = LoadSpec(url=f"http://127.0.0.1:{vendor_port}/v1/nowhere", body=b"{}", concurrency=2, duration=30,
                    requests=10)
    result = await run_load(spec)
    assert result.ok == 0
    assert result.errors == {"404": 10}


async def test_stream_first_chunk_comes_before_the_end(vendor_port):
    spec = LoadSpec(url=f"http://127.0.0.1:{vendor_port}/v1/chat/completions", body=chat_body("m", "hi", stream=True),
                    concurrency=2, duration=30, requests=20, stream=True, count_headers=("content-type",))
    result = await run_load(spec)
    assert result.ok == 20
    assert len(result.first_chunk) == 20
    assert all(0 < first <= total for first, total in zip(result.first_chunk, result.latencies))
    assert result.header_values == {"content-type: text/event-stream": 20}


async def test_refused_connections_are_counted_not_raised():
    spec = LoadSpec(url="http://127.0.0.1:9/v1/chat/completions", body=b"{}", concurrency=1, duration=30, requests=3)
    result = await run_load(spec)
    assert result.ok == 0
    assert result.errors == {"connection": 3}



async def test_done_marker_split_across_reads_is_still_seen():
    conn = _Connection(frozenset())
    conn.on_body(b"data: {}\n\ndata: [DO")
    conn.on_body(b"NE]\n\n")
    assert conn.saw_done
    assert conn.first_data_at is not None
