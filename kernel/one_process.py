"""Several HTTP apps and asyncio workers in one process, for a small machine: the apps each on a port of
their own, served by one waitress server (a pool of threads shared by all), the workers on one asyncio
loop in a thread of their own. SIGTERM or SIGINT stops both; if the workers end by themselves the
process ends with an error, so that whoever supervises it starts it again."""
import asyncio
import logging
import os
import signal
import threading
from collections.abc import Awaitable, Callable

from waitress import create_server

log = logging.getLogger(__name__)
Workers = Callable[[asyncio.Event], Awaitable[None]]


class Stopped(SystemExit):
    """Raised by the SIGTERM/SIGINT handler wherever the main thread is. A SystemExit, because waitress
    passes on only those (and KeyboardInterrupt, its ExitNow) from a connection's handlers: any other
    exception raised while it was closing a connection was logged and swallowed, and the process kept
    serving until it was killed."""


def by_port(apps: dict[int, Callable]) -> Callable:
    """One WSGI app that hands each request to the app of the port it came in on."""
    def dispatch(environ, start_response):
        return apps[int(environ["SERVER_PORT"])](environ, start_response)
    return dispatch


class Background(threading.Thread):
    """`workers(stop)` on an asyncio loop of its own, until stop() or until they end by themselves."""

    def __init__(self, workers: Workers, name: str):
        super().__init__(name=name, daemon=True)
        self.workers, self.failed, self.started_loop = workers, False, threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.stopping = False

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException:
            log.exception("%s: the workers failed", self.name)
            self.failed = True
        if not self.stopping:  # they ended without being asked: end the process, to be started again
            self.failed = True
            log.critical("%s: the workers ended; stopping the process", self.name)
            os.kill(os.getpid(), signal.SIGTERM)

    async def _main(self) -> None:
        self.loop, self.stop_event = asyncio.get_running_loop(), asyncio.Event()
        self.started_loop.set()
        await self.workers(self.stop_event)

    def stop(self, timeout: float = 15.0) -> None:
        self.stopping = True
        if self.started_loop.wait(timeout=5) and self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.join(timeout)


def serve_together(apps: dict[int, Callable], workers: Workers | None, name: str, host: str = "127.0.0.1",
                   threads: int = 8) -> None:
    """Serve `apps` ({port: WSGI app}) and run `workers` until SIGTERM/SIGINT; exit status 1 when the
    workers failed."""
    server = create_server(by_port(apps), listen=" ".join(f"{host}:{port}" for port in apps), threads=threads,
                           ident=name, channel_timeout=30)
    background = Background(workers, f"{name}-workers") if workers else None

    def stop(_signum, _frame):
        raise Stopped()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop)
    if background:
        background.start()
    log.info("%s: serving on %s", name, ", ".join(f"{host}:{port}" for port in apps))
    try:
        server.run()
    except Stopped:
        pass
    finally:
        server.close()
        if background:
            background.stop()
    if background and background.failed:
        raise SystemExit(1)
