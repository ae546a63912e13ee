"""A partner's follow-up worker (`samen030 followup --partner P`): applies other partners' answers
to this partner's referrals as they arrive on the bus, and reports requests whose first-contact
deadline passed (one `request.overdue` event each, which the notifier turns into a reminder); takes
back referral handovers that could not be completed (take_back.withdraw_unfinished); erases
the requests of its partner's erased members and the copies of requests other partners erased
(erasures.py)."""
import asyncio
import logging
from datetime import datetime, timezone

from sqlalchemy import select, update

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.consumer import Projection, consume
from samen030.kernel.database import Database
from samen030.kernel.events import Event
from samen030.kernel.nats_users import ANSWERS, MEMBER_ERASED, REQUEST_ERASED, followup_durable
from samen030.kernel.workers import wait_or_stop

from .erasures import erasures_projection
from .events import overdue_event
from .help_requests import overdue_clause, request_of
from .referrals import apply_answer
from .take_back import withdraw_unfinished
from .tables import applied_events, help_requests, outbox

log = logging.getLogger(__name__)


def answers_projection(db: Database, partner: str) -> Projection:
    def on_changed(conn, event: Event) -> None:
        apply_answer(conn, partner, event.partner, event.data)
    return Projection(followup_durable(partner), db, applied_events,
                      {"nl.samen030.requests.request.changed.v1": on_changed})


def report_overdue(db: Database, partner: str, now: datetime | None = None, limit: int = 500) -> int:
    """Mark the requests newly past their deadline and emit their events; how many there were."""
    now = now or datetime.now(timezone.utc)
    with db.begin() as conn:
        rows = conn.execute(select(help_requests).where(overdue_clause(now), help_requests.c.overdue_reported_at.is_(None))
                            .order_by(help_requests.c.first_contact_due).limit(limit)).mappings().all()
        for row in rows:
            conn.execute(update(help_requests).where(help_requests.c.id == row["id"]).values(overdue_reported_at=now))
            outbox_rows.record(conn, outbox, overdue_event(partner, request_of(row), now))
        return len(rows)


async def run_followup(db: Database, partner: str, others: list[str], nats_url: str, stop: asyncio.Event,
                       every: float = 30.0) -> None:
    async def overdue_loop():
        while not stop.is_set():
            try:
                if count := await asyncio.to_thread(report_overdue, db, partner):
                    log.info("%s: %d request(s) past their first-contact deadline", partner, count)
                if count := await asyncio.to_thread(withdraw_unfinished, db, partner):
                    log.info("%s: %d unfinished referral handover(s) taken back", partner, count)
            except Exception:
                log.exception("%s: reporting overdue requests or taking back handovers failed; trying again", partner)
            await wait_or_stop(stop, every)

    erasures = erasures_projection(db, partner)
    await asyncio.gather(consume(answers_projection(db, partner), nats_url, others, stop, subjects=ANSWERS,
                                 reader=partner),
                         consume(erasures, nats_url, [partner], stop, subjects=MEMBER_ERASED,
                                 connection=f"{erasures.name}-own", reader=partner),
                         consume(erasures, nats_url, others, stop, subjects=REQUEST_ERASED,
                                 connection=f"{erasures.name}-others", reader=partner),
                         overdue_loop())
