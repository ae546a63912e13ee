"""Whether this process can do its work now, for /ready (kernel/observe.py). Checks are registered
process-wide: each app its database (for as long as the app lives), each NATS connection itself (from the
first try to connect until it is closed; kernel/bus.py). So in a process that holds several services
and workers (a partner's node), /ready on any of its ports answers for all of them; a service served
alone, without NATS in its process, is ready when its database answers.

A check returns when all is well and raises, saying what is wrong, when not. Those that do I/O run at
once in threads of their own, given CHECK_TIMEOUT seconds together: a database that hangs makes /ready
say so instead of hanging it. Those that do none (a NATS connection's state) run in the request."""
import itertools
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError as NoAnswer, wait
from typing import Callable

CHECK_TIMEOUT = 2.0
OK = "ok"

_checks: dict[int, tuple[str, Callable[[], None], bool]] = {}
_links: dict[int, "NatsLink"] = {}
_handles = itertools.count(1)
_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_last: dict[str, str] = {}  # the last result said per name, to log changes only
log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """What a check raises to say why it is not ready, in words for /ready."""


def register(name: str, check: Callable[[], None], does_io: bool = True) -> int:
    """Check `check` at every /ready under `name`; the handle unregisters it."""
    with _lock:
        handle = next(_handles)
        _checks[handle] = (name, check, does_io)
    return handle


def unregister(handle: int) -> None:
    with _lock:
        _checks.pop(handle, None)
        _links.pop(handle, None)


def clear() -> None:
    """Forget every check (a test starting afresh, as a new process would)."""
    with _lock:
        _checks.clear()
        _links.clear()
        _last.clear()


def report(timeout: float = CHECK_TIMEOUT) -> dict[str, str]:
    """Each check's result by name: "ok", or in a few words why not (the full error goes to the log, once
    each time a check's result changes: /ready is public). Two checks of one name: the worse result."""
    global _pool
    with _lock:
        checks = list(_checks.values())
        _pool = _pool or ThreadPoolExecutor(8, thread_name_prefix="readiness")
    futures = [(name, _pool.submit(check) if does_io else _run_here(check)) for name, check, does_io in checks]
    wait([future for _name, future in futures], timeout=timeout)
    results: dict[str, str] = {}
    for name, future in futures:
        said, detail = _outcome(future, timeout)
        if results.get(name, OK) == OK:
            results[name] = said
            _log_change(name, said, detail)
    return dict(sorted(results.items()))


def _run_here(check: Callable[[], None]) -> Future:
    future = Future()
    try:
        check()
        future.set_result(None)
    except Exception as exc:
        future.set_exception(exc)
    return future


def _outcome(future: Future, timeout: float) -> tuple[str, str]:
    """(what /ready says, what the log says)."""
    if not future.done():
        return (late := f"no answer within {timeout:g} s"), late
    try:
        future.result(timeout=0)
    except NoAnswer:
        return (late := f"no answer within {timeout:g} s"), late
    except NotReady as exc:
        return str(exc), str(exc)
    except Exception as exc:
        return type(exc).__name__, f"{type(exc).__name__}: {exc}"
    return OK, OK


def _log_change(name: str, said: str, detail: str) -> None:
    with _lock:
        before, _last[name] = _last.get(name, OK), said
    if said != before:
        if said == OK:
            log.info("%s is ready again", name)
        else:
            log.warning("%s is not ready: %s", name, detail)


class NatsLink:
    """A NATS connection of this process as a check named `nats <connection name>`: not ready while it
    connects or reconnects. kernel/bus.py makes one per connection and closes it with the connection."""

    def __init__(self, name: str):
        self.name, self.nc = name, None
        self.handle = register(f"nats {name}", self.check, does_io=False)
        with _lock:
            _links[self.handle] = self

    def check(self) -> None:
        if self.nc is None:
            raise NotReady("connecting to NATS")
        if not self.nc.is_connected:
            raise NotReady("not connected to NATS (reconnecting)")

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    def close(self) -> None:
        unregister(self.handle)


def nats_links() -> list[tuple[str, bool]]:
    """(connection name, connected) of every NATS connection of the process."""
    with _lock:
        links = list(_links.values())
    return [(link.name, link.connected) for link in links]
