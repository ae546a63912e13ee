"""Helpers for tests that drive the relay and the projector against a real nats-server."""
import asyncio
import time
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import nats

from samen030.kernel.bus import stream_name
from samen030.kernel.nats_users import inbox_prefix


def run_async(coro):
    return asyncio.run(coro)


async def run_until(worker, condition, timeout: float = 20.0):
    """Run `worker(stop)` until `condition()` holds; fail after `timeout` seconds."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker(stop))
    deadline = time.monotonic() + timeout
    try:
        while not condition():
            if task.done():
                task.result()
                raise AssertionError("worker stopped early")
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached in {timeout}s")
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


@asynccontextmanager
async def running(worker):
    """Run `worker(stop)` as a task while the block runs; then stop it and wait for it (its error, if any,
    is raised)."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def until(condition, timeout: float = 20.0, watch: asyncio.Task | None = None, interval: float = 0.05):
    """Poll `condition()` (sync or async) while the loop runs the workers; fail after `timeout` seconds,
    or as soon as the `watch`ed worker ended (with its error)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if watch is not None and watch.done():
            watch.result()
            raise AssertionError(f"the worker ended before {condition.__doc__ or condition}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s: {condition.__doc__ or condition}")
        await asyncio.sleep(interval)


async def read_stream(nats_url: str, partner: str) -> list:
    """Every message stored in a partner's stream, in stream order."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream_name(partner))
        messages = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            try:
                messages.append(await js.get_msg(stream_name(partner), seq))
            except nats.js.errors.NotFoundError:
                continue
        return messages
    finally:
        await nc.close()


async def publish_raw(nats_url: str, subject: str, payload: bytes, msg_id: str) -> None:
    """Publish as the URL's user (with its own inbox, the only one it may read)."""
    user = urlsplit(nats_url).username
    nc = await nats.connect(nats_url, allow_reconnect=False, error_cb=_raise_later,
                            **({"inbox_prefix": inbox_prefix(user)} if user else {}))
    try:
        await nc.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": msg_id}, timeout=2)
    finally:
        await nc.close()


async def _raise_later(exc):
    pass  # a refused publish surfaces as the publish's own timeout
