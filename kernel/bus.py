"""The NATS connection and each partner's JetStream stream (samen030-<partner>)."""
import asyncio
import logging
import os

import nats
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

log = logging.getLogger(__name__)
DUPLICATE_WINDOW = float(os.environ.get("SAMEN030_DUPLICATE_WINDOW", 3600))


def stream_name(partner: str) -> str:
    return f"samen030-{partner}"


def stream_subjects(partner: str) -> list[str]:
    return [f"samen030.{partner}.>"]


async def connect(url: str, name: str):
    async def on_disconnect():
        log.warning("%s: disconnected from NATS", name)

    async def on_reconnect():
        log.warning("%s: reconnected to NATS", name)

    async def on_error(exc):
        log.debug("%s: NATS error: %s", name, exc)

    delay = 0.1
    while True:  # the broker may still be starting, or restarting
        try:
            return await nats.connect(
                url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.25, connect_timeout=2,
                allow_reconnect=True, disconnected_cb=on_disconnect, reconnected_cb=on_reconnect,
                error_cb=on_error,
            )
        except (OSError, asyncio.TimeoutError, nats.errors.NoServersError) as exc:
            log.warning("%s: cannot reach NATS at %s (%s); retrying", name, url, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def ensure_stream(js, partner: str) -> None:
    """Create the partner's stream with a duplicate window when it is missing."""
    name = stream_name(partner)
    try:
        await js.stream_info(name)
        return
    except NotFoundError:
        pass
    config = StreamConfig(name=name, subjects=stream_subjects(partner), storage=StorageType.FILE,
                          retention=RetentionPolicy.LIMITS, discard=DiscardPolicy.OLD,
                          duplicate_window=DUPLICATE_WINDOW, num_replicas=1)
    try:
        await js.add_stream(config)
        log.info("created stream %s", name)
    except BadRequestError as exc:  # created meanwhile by another worker
        log.debug("stream %s: %s", name, exc)
