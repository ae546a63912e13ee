"""`samen030 city`: the city's hub in one process — the gateway's HTTP API, the shared web portal (a
client of the gateway's and the partners' HTTP APIs), the projector that keeps the gateway's read model,
and the notifier (with, for the local federation, the SMTP sink that keeps the mails).
`samen030 gateway` / `projector` / `notifier` still run each part alone (the gateway on gunicorn)."""
import asyncio
from pathlib import Path

from samen030.kernel.config import Federation, port_of


def run_city(federation: Federation, projector_url: str, notifier_url: str, mail_sink: tuple[int, Path] | None,
             threads: int = 16) -> None:
    from samen030.gateway.app import create_app
    from samen030.gateway.projector import readmodel_projection
    from samen030.kernel.consumer import consume
    from samen030.kernel.one_process import serve_together
    from samen030.notifier.worker import serve as notify
    from samen030.portal.app import create_app as create_portal
    gateway = create_app(federation=federation)
    portal = create_portal(federation, {"GATEWAY_APP": gateway})  # the portal reads the gateway in-process
    projection = readmodel_projection(gateway.extensions["samen030.db"])
    partners = list(federation.partners)

    async def workers(stop: asyncio.Event) -> None:
        await asyncio.gather(consume(projection, projector_url, partners, stop),
                             notify(stop, federation=federation, nats_url=notifier_url))

    sink = None
    if mail_sink:
        from samen030.notifier.smtp_sink import start_smtp_sink
        sink, _mails = start_smtp_sink(*mail_sink)
    try:
        serve_together({federation.gateway_listen or port_of(federation.gateway_url): gateway,
                        federation.portal_listen or port_of(federation.portal_url): portal}, workers,
                       "samen030-city", threads=threads)
    finally:
        if sink:
            sink.stop()
