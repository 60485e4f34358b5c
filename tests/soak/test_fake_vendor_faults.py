"""The fake vendors' random fault mode and their standalone process, which the soak relies on."""
import json
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.fakes.vendors import FAULT_KINDS, Behaviour, FakeVendor, random_fault

ROOT = Path(__file__).resolve().parents[2]
HELLO = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}


def post_openai(fake: FakeVendor, **extra) -> httpx.Response:
    return httpx.post(f"{fake.base_url('openai')}/chat/completions", json={**HELLO, **extra}, timeout=5)


def test_each_fault_kind_is_drawn_with_the_behaviour_it_names():
    rng = random.Random(3)
    drawn = dict(random_fault(rng, slow_delay=9.0) for _ in range(200))
    assert set(drawn) == set(FAULT_KINDS)
    assert drawn["server_error"].status in (500, 502, 503)
    assert (drawn["rate_limited"].status, drawn["rate_limited"].retry_after) == (429, "1")
    assert drawn["too_slow"].delay == 9.0
    assert drawn["reset_before_first_byte"].reset_before_first_byte
    assert 1 <= drawn["reset_after_chunks"].reset_after_chunks <= 3


def test_a_fault_rate_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError):
        FakeVendor(fault_rate=1.5)


def test_the_same_seed_draws_the_same_faults_in_the_same_order():
    def kinds(seed):
        fake = FakeVendor(fault_rate=0.5, seed=seed)
        for _ in range(40):
            fake._next("openai")
        return fake.outcomes

    assert kinds(11) == kinds(11)
    assert sum(kinds(11).values()) == 40


def test_about_the_fault_rate_of_requests_fail_and_queued_behaviours_come_first():
    with FakeVendor(fault_rate=0.3, seed=5, slow_delay=0.01) as fake:
        fake.enqueue("openai", Behaviour(status=400))
        assert post_openai(fake).status_code == 400
        for _ in range(99):
            try:
                post_openai(fake)
            except httpx.HTTPError:
                pass  # the resets are among the faults
        stats = httpx.get(f"http://127.0.0.1:{fake.port}/_fake/stats", timeout=5).json()
    faults = sum(stats["outcomes"].get(kind, 0) for kind in FAULT_KINDS)
    assert stats["outcomes"]["scripted"] == 1
    assert stats["requests"] == 100
    assert 15 <= faults <= 45  # 30% of 99, seeded
    assert stats["outcomes"]["ok"] == 99 - faults


def test_without_a_fault_rate_every_answer_is_valid():
    with FakeVendor() as fake:
        statuses = Counter(post_openai(fake).status_code for _ in range(20))
        assert fake.outcomes == {"ok": 20}
    assert statuses == {200: 20}


def test_the_standalone_process_prints_its_port_serves_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.vendors", "--port", "0", "--fault-rate", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        port = json.loads(process.stdout.readline())["port"]
        response = httpx.post(f"http://127.0.0.1:{port}/openai/v1/chat/completions", json=HELLO, timeout=5)
        assert response.json()["choices"][0]["message"]["content"] == "Hello from openai gpt-test"
        assert httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=5).json() == {"requests": 1, "outcomes": {"ok": 1}}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
