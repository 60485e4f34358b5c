"""Many requests at once, and clients that leave mid-stream: exactly one record each."""
import asyncio

import httpx

from tests.e2e.conftest import MODELS, wait_for_records
from tests.fakes.vendors import Behaviour


async def _one(async_sdk, index: int) -> str:
    provider = list(MODELS)[index % 3]
    messages = [{"role": "user", "content": f"request number {index}"}]
    if index % 2:
        raw = await async_sdk.chat.completions.with_raw_response.create(
            model=MODELS[provider], messages=messages, stream=True, extra_headers={"x-gateway-cache": "no-cache"}
        )
        stream = raw.parse()
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    else:
        raw = await async_sdk.chat.completions.with_raw_response.create(
            model=MODELS[provider], messages=messages, extra_headers={"x-gateway-cache": "no-cache"}
        )
        text = raw.parse().choices[0].message.content
    assert text.startswith(f"Hello from {provider}")
    return raw.headers["x-gateway-request-id"]


def test_a_hundred_concurrent_requests_give_a_hundred_records_with_unique_ids(async_sdk, world):
    async def run():
        return await asyncio.gather(*(_one(async_sdk, i) for i in range(100)))

    request_ids = asyncio.run(run())
    records = wait_for_records(100)
    assert len(records) == 100
    assert len({r.request_id for r in records}) == 100
    assert {r.request_id for r in records} == set(request_ids)
    assert sum(r.stream for r in records) == 50
    assert all(r.status == 200 for r in records)


def test_a_client_that_leaves_mid_stream_still_gets_a_record_with_partial_usage(live_gateway, world):
    world.fake.enqueue("anthropic", Behaviour(stall_after_chunks=3))
    body = {"model": MODELS["anthropic"], "messages": [{"role": "user", "content": "tell me a long story"}], "stream": True}
    headers = {"Authorization": f"Bearer {world.raw_key}"}
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", f"{live_gateway.url}/v1/chat/completions", json=body, headers=headers) as response:
            assert response.status_code == 200
            first = next(response.iter_bytes())
            assert first.startswith(b"data: ")
        # leaving the block closes the connection while the vendor is still "thinking"
    [record] = wait_for_records(1)
    assert (record.status, record.error_code) == (499, "client_disconnected")
    assert record.prompt_tokens > 0


def test_a_client_that_leaves_before_a_plain_answer_gets_a_499_record(live_gateway, world):
    world.fake.enqueue("openai", Behaviour(delay=3.0))
    body = {"model": MODELS["openai"], "messages": [{"role": "user", "content": "take your time"}]}
    headers = {"Authorization": f"Bearer {world.raw_key}", "x-gateway-cache": "no-cache"}
    with httpx.Client(timeout=0.5) as client:
        try:
            client.post(f"{live_gateway.url}/v1/chat/completions", json=body, headers=headers)
        except httpx.ReadTimeout:
            pass  # the client gives up and closes its connection while the vendor still thinks
        else:
            raise AssertionError("the vendor answered before the client left")
    [record] = wait_for_records(1)
    assert (record.status, record.error_code) == (499, "client_disconnected")
    assert record.requested_model == MODELS["openai"]
