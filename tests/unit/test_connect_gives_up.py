"""Giving up a first NATS connect when the worker is told to stop, even when the connect loses the
cancellation: in Python 3.11 `asyncio.wait_for` can swallow a cancel that lands as its inner call
finishes (a refused connection finishes at once), and nats-py then tries the next server for ever.
Seen in CI: a consumer told to stop with NATS down went on past 10 s."""
import asyncio

from samen030.kernel.bus import _unless_stopped


class Client:
    closed = False

    async def close(self):
        self.closed = True


async def connect_that_swallows(cancels_to_swallow: int, swallowed: list):
    while True:
        try:
            await asyncio.sleep(0.01)
        except asyncio.CancelledError:
            if len(swallowed) >= cancels_to_swallow:
                raise
            swallowed.append(1)


def test_a_connect_that_loses_the_first_cancel_is_given_up_all_the_same():
    async def go():
        stop, swallowed, client = asyncio.Event(), [], Client()
        giving_up = asyncio.create_task(_unless_stopped(stop, client, connect_that_swallows(2, swallowed)))
        await asyncio.sleep(0.05)
        stop.set()
        return await asyncio.wait_for(giving_up, 3), swallowed, client
    outcome, swallowed, client = asyncio.run(go())
    assert outcome is None
    assert len(swallowed) == 2
    assert client.closed


def test_a_connect_that_succeeds_is_the_client():
    async def connected():
        return None

    async def go():
        client = Client()
        return await _unless_stopped(asyncio.Event(), client, connected()), client
    outcome, client = asyncio.run(go())
    assert outcome is client and not client.closed
