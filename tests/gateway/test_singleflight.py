import asyncio


from gateway.singleflight import SingleFlight


async def test_concurrent_misses_of_one_key_share_a_single_load():
    flight, loads = SingleFlight(), []

    async def load():
        loads.append(1)
        await asyncio.sleep(0.01)
        return "value"

    results = await asyncio.gather(*(flight.run("k", load) for _ in range(50)))
    assert results == ["value"] * 50
    assert len(loads) == 1


async def test_different_keys_load_separately_and_a_later_miss_loads_again():
    flight, loads = SingleFlight(), []

    async def load():
        loads.append(1)
        return len(loads)

    assert await asyncio.gather(flight.run("a", load), flight.run("b", load)) == [1, 2]
    assert await flight.run("a", load) == 3


async def test_a_failed_load_fails_every_waiter_and_is_not_remembered():
    flight = SingleFlight()

    async def broken():
        await asyncio.sleep(0.01)
        raise RuntimeError("database down")

    results = await asyncio.gather(*(flight.run("k", broken) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)

    async def fine():
        return "ok"

    assert await flight.run("k", fine) == "ok"
