"""What every asyncio worker process needs: a stop signal, backoff, and a main wrapper."""
import asyncio
import logging
import signal


class Backoff:
    def __init__(self, first: float = 0.05, limit: float = 2.0):
        self.first, self.limit, self.current = first, limit, first

    async def sleep(self, stop: asyncio.Event) -> None:
        await wait_or_stop(stop, self.current)
        self.current = min(self.current * 2, self.limit)

    def reset(self) -> None:
        self.current = self.first


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


def run_worker(main) -> None:
    """Run `main(stop)` until it returns or SIGINT/SIGTERM sets `stop`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    async def runner():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())
