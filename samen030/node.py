"""`samen030 node --partner P`: a partner's whole node in one process, light enough for a small VPS or
an old office PC — its services' HTTP APIs, each on the port the federation file gives it, and its
workers on one asyncio loop: a relay per service outbox, the follow-up worker, and retention once an
hour. `samen030 serve` / `relay` / `followup` still run each part alone."""
import asyncio

from samen030.kernel import keys, peers
from samen030.kernel.config import ConfigError, Federation, port_of
from samen030.kernel.one_process import serve_together
from samen030.kernel.relay import Relay
from samen030.registry import known_services, service_app, service_tables

RETENTION_EVERY = 3600.0


def run_node(federation: Federation, partner_id: str, nats_url: str, threads: int = 8) -> None:
    partner = federation.partner(partner_id)
    keys.require(partner_id)
    services = [s for s in partner.services if s in known_services()]
    apps = {service: service_app(service, partner_id) for service in services}
    ports = {partner.listen.get(service) or port_of(partner.url(service)): app for service, app in apps.items()}
    if len(ports) < len(apps):
        raise ConfigError(f"{partner_id}'s services share a port: give each its own (`listen = {{ … }}` in "
                          f"{federation.source}) — one process serves them on a port each")
    others = [p.id for p in federation.partners.values() if p.id != partner_id and "requests" in p.services]
    peers.IN_THIS_PROCESS.update({(partner_id, service): app for service, app in apps.items()})

    async def workers(stop: asyncio.Event) -> None:
        from samen030.helprequests.followup_worker import run_followup
        from samen030.retention import run_periodically
        relays = [Relay(app.extensions["samen030.db"], service_tables(service)[1], partner_id, service, nats_url,
                        woken=True) for service, app in apps.items()]
        jobs = [relay.run(stop) for relay in relays]
        if "requests" in apps:
            jobs.append(run_followup(apps["requests"].extensions["samen030.db"], partner_id, others, nats_url, stop))
        if {"requests", "members"} & set(apps):
            jobs.append(run_periodically([partner_id], RETENTION_EVERY, stop))
        await asyncio.gather(*jobs)

    serve_together(ports, workers, f"samen030-node-{partner_id}", threads=threads)
