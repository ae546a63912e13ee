"""What every asyncio worker process needs: a stop signal, backoff, and a main wrapper."""
import asyncio
import logging
import signal
import time

from .logs import configure_logging
from .metrics import serve_metrics


class Backoff:
    def __init__(self, first: float = 0.05, limit: float = 2.0):
        self.first, self.limit, self.current = first, limit, first

    async def sleep(self, stop: asyncio.Event) -> None:
        await wait_or_stop(stop, self.current)
        self.current = min(self.current * 2, self.limit)

    def reset(self) -> None:
        self.current = self.first


class Trouble:
    """What holds a worker up, logged once, again each minute while it lasts, and when it is over."""

    def __init__(self, log: logging.Logger, worker: str, say_again_after: float = 60.0):
        self.log, self.worker, self.say_again_after = log, worker, say_again_after
        self.current, self.said_at = None, 0.0

    def happened(self, exc: Exception, level: int = logging.ERROR) -> None:
        text = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if text != self.current or time.monotonic() - self.said_at > self.say_again_after:
            self.log.log(level, "%s: %s; trying again", self.worker, text)
            self.current, self.said_at = text, time.monotonic()

    def over(self) -> None:
        if self.current is not None:
            self.log.info("%s: going again after: %s", self.worker, self.current)
            self.current = None


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


def run_worker(main, metrics_port: int | None = None) -> None:
    """Run `main(stop)` until it returns or SIGINT/SIGTERM sets `stop`, logging as kernel/logs.py says and,
    given a port (`metrics_port`, else SAMEN030_METRICS_PORT), serving /metrics on it meanwhile."""
    configure_logging()
    serve_metrics(metrics_port)

    async def runner():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await main(stop)

    asyncio.run(runner())
