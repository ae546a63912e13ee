"""The NATS connection and each partner's JetStream stream (samen030-<partner>, subjects
samen030.<partner>.> and nothing else).

On the shared server the operator provisions the streams (`provision_streams`, `samen030 streams`;
`samen030 run` does it on start); a partner's user may not create one there. Where a partner is the
administrator of its server (a development server without users, later its own leaf node),
`ensure_stream` creates its stream itself."""
import asyncio
import logging
import os
import time
from urllib.parse import urlsplit

import nats
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from .nats_users import inbox_prefix, stream_name
from .topology import HUB_REPLICAS, hub_source, hub_stream
from .readiness import NatsLink
from .workers import wait_or_stop

log = logging.getLogger(__name__)
DUPLICATE_WINDOW = float(os.environ.get("SAMEN030_DUPLICATE_WINDOW", 3600))
DAY = 86400.0


class StreamMismatch(RuntimeError):
    """The partner's stream exists with other subjects than its own: publishing there is refused."""


class StreamMissing(RuntimeError):
    """The partner's stream does not exist and could not be made here: the operator provisions it."""


def stream_subjects(partner: str) -> list[str]:
    return [f"samen030.{partner}.>"]


def max_age_seconds() -> float:
    """How long a stream keeps an event (SAMEN030_STREAM_MAX_AGE_DAYS, default 30; 0: for ever). At
    least the longest outage planned for: a consumer away longer misses what expired meanwhile."""
    return float(os.environ.get("SAMEN030_STREAM_MAX_AGE_DAYS", "30")) * DAY


def stream_config(partner: str) -> StreamConfig:
    return StreamConfig(name=stream_name(partner), subjects=stream_subjects(partner), storage=StorageType.FILE,
                        retention=RetentionPolicy.LIMITS, discard=DiscardPolicy.OLD,
                        duplicate_window=DUPLICATE_WINDOW, max_age=max_age_seconds(), max_bytes=max_bytes(),
                        num_replicas=1)


def hub_copy_config(partner: str, replicas: int = HUB_REPLICAS) -> StreamConfig:
    """The hub's copy of the partner's stream (topology `hub`): no subjects of its own, one source (the
    partner's stream on its leaf, across JetStream domains), R3, the same retention and duplicate
    window (a sourced message keeps its Nats-Msg-Id, so the copy drops one sourced twice within it)."""
    return StreamConfig(name=hub_stream(partner), subjects=[], sources=[hub_source(partner)], storage=StorageType.FILE,
                        retention=RetentionPolicy.LIMITS, discard=DiscardPolicy.OLD,
                        duplicate_window=DUPLICATE_WINDOW, max_age=max_age_seconds(), max_bytes=max_bytes(),
                        num_replicas=replicas)


def max_bytes() -> int:
    """How much a partner's stream may hold on the shared server (SAMEN030_STREAM_MAX_MB, default 1024;
    0: no limit), so that no partner fills the server's storage for everyone; the oldest go first."""
    megabytes = int(float(os.environ.get("SAMEN030_STREAM_MAX_MB", "1024")))
    return megabytes * 1024 * 1024 if megabytes > 0 else -1


async def connect(url: str, name: str, stop: asyncio.Event):
    """A connection that reconnects by itself, or None when `stop` was set before NATS answered.
    Replies come to the inbox of the URL's user (`_INBOX_<user>`), the only one it may read. From the
    first try until it is closed, the connection is one of the process's readiness checks (`nats <name>`)."""
    link = NatsLink(name)
    nc = None
    try:
        nc = await _connect(url, name, stop, link)
    finally:
        if nc is None:
            link.close()
    link.nc = nc
    return nc


async def _connect(url: str, name: str, stop: asyncio.Event, link: NatsLink):
    client = nats.NATS()

    async def on_disconnect():
        if not client.is_closed:  # not our own close()
            log.warning("%s: disconnected from NATS", name)

    async def on_reconnect():
        log.warning("%s: reconnected to NATS", name)

    async def on_closed():
        link.close()

    said_at = {}

    async def on_error(exc):
        text = str(exc).lower()
        if "permissions violation" in text:
            log.error("%s: NATS refused: %s", name, exc)
        elif "authorization" in text or isinstance(exc, nats.errors.AuthorizationError):
            if time.monotonic() - said_at.get("auth", -60.0) >= 60:  # it tries again every moment: say so once a minute
                said_at["auth"] = time.monotonic()
                log.error("%s: NATS refuses the user of %s (wrong user or password?); trying again", name,
                          _without_password(url))
        else:
            log.debug("%s: NATS error: %s", name, exc)

    servers = [u.strip() for u in url.split(",") if u.strip()]  # a cluster: every server's URL, comma-separated
    user = urlsplit(servers[0]).username
    delay = 0.1
    while not stop.is_set():  # the broker may still be starting, or restarting
        try:
            return await _unless_stopped(stop, client, client.connect(
                servers, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.25, connect_timeout=2,
                allow_reconnect=True, disconnected_cb=on_disconnect, reconnected_cb=on_reconnect,
                closed_cb=on_closed, error_cb=on_error, **({"inbox_prefix": inbox_prefix(user)} if user else {}),
            ))
        except (OSError, asyncio.TimeoutError, nats.errors.NoServersError) as exc:
            log.warning("%s: cannot reach NATS at %s (%s); retrying", name, _without_password(url), exc)
            await wait_or_stop(stop, delay)
            delay = min(delay * 2, 2.0)
    return None


async def _unless_stopped(stop: asyncio.Event, client, connecting):
    """nats-py's first connect with max_reconnect_attempts=-1 tries for ever: give it up when stopped."""
    attempt, stopped = asyncio.ensure_future(connecting), asyncio.ensure_future(stop.wait())
    await asyncio.wait({attempt, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    while not attempt.done():  # a cancel can be lost inside nats-py (asyncio.wait_for in 3.11): cancel again
        attempt.cancel()
        await asyncio.wait({attempt}, timeout=0.5)
    if attempt.cancelled() or attempt.exception() is not None:
        if stop.is_set():
            await client.close()  # whatever the lost cancel left half-open
            return None
        return attempt.result()
    if stop.is_set():
        await client.close()
        return None
    return client


def _without_password(url: str) -> str:
    def one(url: str) -> str:
        parts = urlsplit(url)
        return url.replace(f":{parts.password}@", ":…@", 1) if parts.password else url
    return ",".join(one(u) for u in url.split(","))


async def ensure_stream(js, partner: str, create_timeout: float = 2.0) -> None:
    """The partner's stream exists with exactly its own subjects, or this raises: StreamMismatch when
    it has other subjects (someone made it over another partner's subjects, or the operator must fix
    it), StreamMissing when it is missing and this user may not create it (the operator provisions
    it; a refusal shows up as a timeout, the server's reason in the connection's error log)."""
    name = stream_name(partner)
    try:
        _check_subjects(await js.stream_info(name), partner)
        return
    except NotFoundError:
        pass
    try:
        await asyncio.wait_for(js.add_stream(stream_config(partner)), create_timeout)
        log.info("created stream %s", name)
        return
    except Exception as exc:  # refused here (no right, or subjects taken), or created meanwhile
        refusal = exc
    try:
        _check_subjects(await js.stream_info(name), partner)  # created meanwhile, by another worker
    except NotFoundError:
        if isinstance(refusal, BadRequestError) and (holder := await _holder_of(js, partner)):
            raise StreamMismatch(f"stream {holder} holds the subjects {stream_subjects(partner)} of {partner}, so "
                                 f"{name} cannot be made: refusing to publish until the operator fixes it") from refusal
        raise StreamMissing(f"stream {name} does not exist and could not be created here ({_reason(refusal)}): "
                            f"the operator provisions it with `samen030 streams`") from refusal


def _check_subjects(info, partner: str) -> None:
    if list(info.config.subjects or []) != stream_subjects(partner):
        raise StreamMismatch(f"stream {info.config.name} has subjects {info.config.subjects}, but must have exactly "
                             f"{stream_subjects(partner)}: refusing to publish into it until the operator fixes it")


async def _holder_of(js, partner: str) -> str | None:
    try:
        return await asyncio.wait_for(js.find_stream_name_by_subject(stream_subjects(partner)[0]), 2)
    except Exception:
        return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, (asyncio.TimeoutError, nats.errors.TimeoutError)):
        return "no answer: this NATS user may not do that, or the server is unreachable"
    return getattr(exc, "description", None) or f"{type(exc).__name__}: {exc}"


async def provision_streams(js, partners: list[str], hub_copies: bool = False,
                            replicas: int = HUB_REPLICAS) -> dict[str, str]:
    """The operator's part (as `admin`): every partner's stream with its own subjects, file storage,
    the duplicate window and the retention of stream_config() — or, with `hub_copies` (on the hub of
    topology `hub`), every partner's hub copy of hub_copy_config(). Existing streams are brought in line
    first (so one made over another partner's subjects lets go of them), then missing ones are made.
    Returns what happened per stream: "created", "updated", "as it should be", or the server's refusal."""
    done, missing = {}, []
    for partner in partners:
        wanted = hub_copy_config(partner, replicas) if hub_copies else stream_config(partner)
        try:
            info = await js.stream_info(wanted.name)
        except NotFoundError:
            missing.append(wanted)
            continue
        except Exception as exc:
            done[wanted.name] = f"refused: {_reason(exc)}"
            continue
        if _same(info.config, wanted):
            done[wanted.name] = "as it should be"
            continue
        done[wanted.name] = await _attempt(js.update_stream(wanted), "updated")
    for wanted in missing:
        done[wanted.name] = await _attempt(js.add_stream(wanted), "created")
    return done


def _same(have: StreamConfig, wanted: StreamConfig) -> bool:
    def sources(config):
        return [(s.name, s.filter_subject, s.external and (s.external.api, s.external.deliver))
                for s in config.sources or []]
    return ((have.subjects or [], have.max_age, have.duplicate_window, have.max_bytes, sources(have)) ==
            (wanted.subjects or [], wanted.max_age, wanted.duplicate_window, wanted.max_bytes, sources(wanted)))


async def provision_at(url: str, partners: list[str], give_up_after: float = 15.0,
                       hub_copies: bool = False) -> dict[str, str] | None:
    """provision_streams() on the server at `url` (with the operator's credentials); None when it does
    not answer within `give_up_after` seconds."""
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(give_up_after, stop.set)
    nc = await connect(url, "samen030-streams", stop)
    if nc is None:
        return None
    try:
        js = nc.jetstream(timeout=5)
        while not await _jetstream_answers(js):  # a cluster just started elects its meta leader first
            if stop.is_set():
                return None
            await asyncio.sleep(0.2)
        while True:
            done = await provision_streams(js, partners, hub_copies=hub_copies)
            if stop.is_set() or not hub_copies or not any(_passing(outcome) for outcome in done.values()):
                return done
            await asyncio.sleep(0.5)  # a cluster still forming: the peers of an R3 stream come soon
    finally:
        await nc.close()


def _passing(outcome: str) -> bool:
    return outcome.startswith("refused") and ("no suitable peers" in outcome or "no answer" in outcome)


async def _jetstream_answers(js) -> bool:
    try:
        await js.account_info()
        return True
    except Exception as exc:
        log.debug("JetStream not answering yet: %s", exc)
        return False


async def _attempt(call, outcome: str) -> str:
    try:
        await call
        return outcome
    except Exception as exc:
        return f"refused: {_reason(exc)}"
