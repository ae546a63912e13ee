"""How fresh the gateway's data of each partner is: when its last event was applied, and whether its
services answer now. Answers come from a per-process cache that a background thread keeps current,
so a search never waits for a partner that is down."""
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests as http
from sqlalchemy import select
from sqlalchemy.engine import Connection

from samen030.kernel.config import Federation
from samen030.kernel.peers import request_within

from .readmodel import partner_status

CHECK_EVERY = float(os.environ.get("SAMEN030_HEALTH_INTERVAL", 5))
CHECK_TIMEOUT = 0.5


class PartnerHealth:
    def __init__(self, federation: Federation):
        self.federation = federation
        self.reachable: dict[str, bool] = {}
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
        with ThreadPoolExecutor(max(1, len(partners))) as pool:
            answers = pool.map(_answers, partners)
        self.reachable = {p.id: ok for p, ok in zip(partners, answers)}

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
    the time of its last event applied and whether it answers (stale when not)."""
    rows = conn.execute(select(partner_status.c.partner, partner_status.c.last_event_at,
                               partner_status.c.events_applied)).all()
    applied = {partner: last.isoformat() for partner, last, _count in rows}
    reachable = health.current()
    freshness = {partner: {"last_event_at": applied.get(partner), "reachable": reachable.get(partner, False),
                           "stale": not reachable.get(partner, False)}
                 for partner in set(applied) | set(reachable)}
    return sum(count for _p, _l, count in rows), freshness
