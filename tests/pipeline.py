"""Helpers for tests that drive the relay and the projector against a real nats-server."""
import asyncio
import time

import nats

from samen030.kernel.bus import stream_name


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
    nc = await nats.connect(nats_url, allow_reconnect=False, error_cb=_raise_later)
    try:
        await nc.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": msg_id}, timeout=2)
    finally:
        await nc.close()


async def _raise_later(exc):
    pass  # a refused publish surfaces as the publish's own timeout
