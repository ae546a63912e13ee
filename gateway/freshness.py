"""How fresh the gateway's data of each partner is: when its last event was applied, whether its
services answer now and, in the hub topology, whether its leaf's link to the hub is up (a partner whose
line to the hub is down answers and keeps writing, but its new data does not reach the gateway). Answers come from a per-process cache that a background thread keeps current,
so a search never waits for a partner that is down."""
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests as http
from sqlalchemy import select
from sqlalchemy.engine import Connection

from samen030.kernel.config import Federation
from samen030.kernel.leaf_links import leaves_seen
from samen030.kernel.peers import request_within

from .readmodel import partner_status

CHECK_EVERY = float(os.environ.get("SAMEN030_HEALTH_INTERVAL", 5))
CHECK_TIMEOUT = 0.5
CONNECTED, DOWN = "connected", "down"


def hub_monitors() -> list[str]:
    """SAMEN030_HUB_MONITOR_URLS: the hub servers' monitoring (comma-separated), where their /leafz says
    which partners' leaves are connected; unset (one nats-server): no links to watch."""
    return [url.strip().rstrip("/") for url in os.environ.get("SAMEN030_HUB_MONITOR_URLS", "").split(",") if url.strip()]


class PartnerHealth:
    def __init__(self, federation: Federation, monitors: list[str] | None = None):
        self.federation = federation
        self.monitors = hub_monitors() if monitors is None else monitors
        self.reachable: dict[str, bool] = {}
        self.links: dict[str, str] = {}  # partner: CONNECTED or DOWN; empty when not known
        self._owner_pid, self._lock = None, threading.Lock()

    def current(self) -> dict[str, bool]:
        """Reachability per partner; the first call in a process checks once, then a thread keeps it."""
        if self._owner_pid != os.getpid():  # first use, or a forked worker: the thread did not survive
            with self._lock:
                if self._owner_pid != os.getpid():
                    self.check_all()
                    threading.Thread(target=self._keep_checking, daemon=True).start()
                    self._owner_pid = os.getpid()
        return self.reachable

    def check_all(self) -> None:
        partners = list(self.federation.partners.values())
        with ThreadPoolExecutor(max(1, len(partners)) + 1) as pool:  # the links beside the partners, not after
            links = pool.submit(leaves_seen, self.monitors, 2 * CHECK_TIMEOUT) if self.monitors else None
            answers = list(pool.map(_answers, partners))
            leaves = links.result() if links else None
        self.reachable = {p.id: ok for p, ok in zip(partners, answers)}
        self.links = {} if leaves is None else {p.id: CONNECTED if p.id in leaves else DOWN for p in partners}

    def _keep_checking(self) -> None:
        while True:
            time.sleep(CHECK_EVERY)
            try:
                self.check_all()
            except RuntimeError:  # the interpreter is shutting down
                return


def _answers(partner) -> bool:
    urls = list(partner.services.values())
    try:
        return all(request_within(2 * CHECK_TIMEOUT, "GET", f"{url}/health", timeout=CHECK_TIMEOUT).ok for url in urls)
    except http.RequestException:
        return False


def read_model_state(conn: Connection, health: PartnerHealth) -> tuple[int, dict[str, dict]]:
    """The read model's version (events applied so far, raised with every change) and, per partner,
    the time of its last event applied, whether it answers and its link (stale when either is not)."""
    rows = conn.execute(select(partner_status.c.partner, partner_status.c.last_event_at,
                               partner_status.c.events_applied)).all()
    applied = {partner: last.isoformat() for partner, last, _count in rows}
    reachable, links = health.current(), health.links
    freshness = {partner: {"last_event_at": applied.get(partner), "reachable": reachable.get(partner, False),
                           **({"link": links[partner]} if partner in links else {}),
                           "stale": not reachable.get(partner, False) or links.get(partner) == DOWN}
                 for partner in set(applied) | set(reachable)}
    return sum(count for _p, _l, count in rows), freshness
