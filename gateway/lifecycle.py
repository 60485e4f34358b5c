"""Process start-up and graceful shutdown hooks for the ASGI lifespan."""


async def startup() -> None:
    from gateway import upstream

    await upstream.open_client()


async def shutdown() -> None:
    from analytics import recorder
    from gateway import upstream

    await recorder.drain()
    await upstream.close_client()
