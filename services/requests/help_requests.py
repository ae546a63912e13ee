"""The requests service's use cases: intake and every move of the state machine. Each change, its
transition record and its event commit in one transaction (the transactional outbox)."""
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database
from samen030.kernel.geography import buurt

from .events import request_event
from .followup import first_contact_due
from .lifecycle import FIRST_CONTACT, Move, next_status
from .tables import consents, help_requests, outbox, transitions

LISTS = ("terms", "languages")


class StaleVersion(Exception):
    def __init__(self, current: int):
        super().__init__(f"De hulpvraag is intussen gewijzigd: de versie is nu {current} "
                         f"(the request was changed meanwhile: its version is now {current}).")


def take_in(db: Database, partner: str, fields: dict, user: str, *, origin: str = "intake",
            referral: dict | None = None, also: Callable[[Connection, dict], None] | None = None) -> dict:
    """A new request, with the consents given at intake; `referral` ({id, from_partner}) when it
    arrived from another partner; `also` writes more in the same transaction."""
    now = datetime.now(timezone.utc)
    given = fields.pop("consents", [])
    request = {**fields, "id": str(uuid.uuid4()), "origin": origin, "wijk": buurt(fields["buurt"]).wijk_code,
               "status": "received", "referral_id": referral and referral["id"],
               "referred_by": referral and referral["from_partner"], "received_at": now,
               "first_contact_due": first_contact_due(fields["urgency"], now), "first_contact_at": None,
               "resolved_at": None, "overdue_reported_at": None, "erased_at": None, "version": 1,
               "created_by": user, "updated_at": now}
    with db.begin() as conn:
        conn.execute(insert(help_requests), _row(request))
        if given:
            conn.execute(insert(consents), [{"id": str(uuid.uuid4()), "request_id": request["id"],
                                              "purpose": c["purpose"], "how": c["how"], "given_at": now,
                                              "withdrawn_at": None, "recorded_by": user} for c in given])
        if also:
            also(conn, request)
        record_move(conn, partner, request, Move("receive", None, "received"), user, None, now)
        return load_request(conn, request["id"])


def move(db: Database, partner: str, request_id: str, action: str, user: str, reason: str | None,
         expected_version: int | None = None) -> dict | None:
    """Make `action` on the request; None when there is no such request, InvalidTransition (409) when
    its state does not allow it."""
    with db.begin() as conn:
        request = load_request(conn, request_id, for_update=True)
        if request is None:
            return None
        if expected_version is not None and request["version"] != expected_version:
            raise StaleVersion(request["version"])
        apply_move(conn, partner, request, next_status(action, request["status"], request["origin"] == "referral"),
                   user, reason)
        return load_request(conn, request_id)


def apply_move(conn: Connection, partner: str, request: dict, step: Move, user: str, reason: str | None) -> dict:
    now = datetime.now(timezone.utc)
    request.update(status=step.to_status, version=request["version"] + 1, updated_at=now)
    if step.action in FIRST_CONTACT and request["first_contact_at"] is None:
        request["first_contact_at"] = now
    if step.to_status == "resolved":
        request["resolved_at"] = now
    elif step.action == "reopen":
        request["resolved_at"] = None
    conn.execute(update(help_requests).where(help_requests.c.id == request["id"]).values(
        status=request["status"], version=request["version"], updated_at=now,
        first_contact_at=request["first_contact_at"], resolved_at=request["resolved_at"]))
    record_move(conn, partner, request, step, user, reason, now)
    return request


def record_move(conn: Connection, partner: str, request: dict, step: Move, user: str, reason: str | None,
                at: datetime) -> None:
    conn.execute(insert(transitions), {"request_id": request["id"], "action": step.action,
                                       "from_status": step.from_status, "to_status": step.to_status,
                                       "at": at, "by": user, "reason": reason})
    outbox_rows.record(conn, outbox, request_event(partner, request, step.action, step.from_status, at))


def get_request(db: Database, request_id: str) -> dict | None:
    with db.connect() as conn:
        return load_request(conn, request_id)


def history(db: Database, request_id: str) -> list[dict]:
    with db.connect() as conn:
        rows = conn.execute(select(transitions).where(transitions.c.request_id == request_id)
                            .order_by(transitions.c.id)).mappings()
        return [dict(r) for r in rows]


def find_requests(db: Database, page: int, per_page: int, overdue: bool | None = None,
                  **filters) -> tuple[list[dict], int]:
    """A page of requests matching every filter given (status, category, buurt, wijk, urgency, origin),
    oldest first; `overdue` only those past their first-contact deadline without contact."""
    where = [help_requests.c[name] == value for name, value in filters.items()]
    if overdue:
        where.append(overdue_clause(datetime.now(timezone.utc)))
    with db.connect() as conn:
        total = conn.execute(select(func.count()).select_from(help_requests).where(*where)).scalar_one()
        rows = conn.execute(select(help_requests).where(*where)
                            .order_by(help_requests.c.first_contact_due if overdue else help_requests.c.received_at,
                                      help_requests.c.id)
                            .limit(per_page).offset((page - 1) * per_page)).mappings()
        return [request_of(row) for row in rows], total


def overdue_clause(now: datetime):
    return and_(help_requests.c.first_contact_at.is_(None), help_requests.c.status == "received",
                help_requests.c.first_contact_due < now)


def load_request(conn: Connection, request_id: str, for_update: bool = False) -> dict | None:
    query = select(help_requests).where(help_requests.c.id == request_id)
    row = conn.execute(query.with_for_update() if for_update else query).mappings().first()
    return request_of(row) if row else None


def request_of(row) -> dict:
    request = dict(row)
    for key in LISTS:
        request[key] = [v for v in (request[key] or "").split(",") if v]
    return request


def _row(request: dict) -> dict:
    row = {c.name: request.get(c.name) for c in help_requests.columns}
    for key in LISTS:
        row[key] = ",".join(request.get(key) or [])
    return row
