"""The directory's use cases: each change to an offer and its event commit in one transaction."""
import uuid
from datetime import datetime, timezone

from sqlalchemy import func, select, update

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database
from samen030.kernel.events import new_event
from samen030.kernel.geography import buurt

from .tables import offers, outbox

SERVICE = "directory"


class StaleVersion(Exception):
    def __init__(self, current: int):
        super().__init__(f"The offer was changed meanwhile: its version is now {current}.")
        self.current = current


def create_offer(db: Database, partner: str, fields: dict, user: str) -> dict:
    now = datetime.now(timezone.utc)
    row = {**fields, "id": str(uuid.uuid4()), "wijk": buurt(fields["buurt"]).wijk_code, "version": 1,
           "created_at": now, "updated_at": now, "updated_by": user}
    with db.begin() as conn:
        conn.execute(offers.insert().values(row))
        outbox_rows.record(conn, outbox, _event(partner, "created", row))
    return row


def update_offer(db: Database, partner: str, offer_id: str, changes: dict, user: str) -> dict | None:
    expected = changes.pop("version")
    if "buurt" in changes:
        changes["wijk"] = buurt(changes["buurt"]).wijk_code
    with db.begin() as conn:
        current = conn.execute(select(offers).where(offers.c.id == offer_id)).mappings().first()
        if current is None:
            return None
        if current["version"] != expected:
            raise StaleVersion(current["version"])
        row = {**current, **changes, "version": expected + 1,
               "updated_at": datetime.now(timezone.utc), "updated_by": user}
        conn.execute(update(offers).where(offers.c.id == offer_id).values(row))
        outbox_rows.record(conn, outbox, _event(partner, "updated", row))
    return row


def get_offer(db: Database, offer_id: str) -> dict | None:
    with db.connect() as conn:
        return conn.execute(select(offers).where(offers.c.id == offer_id)).mappings().first()


def list_offers(db: Database, filters: dict, page: int, per_page: int) -> tuple[list, int]:
    where = [getattr(offers.c, key) == value for key, value in filters.items()]
    with db.connect() as conn:
        total = conn.execute(select(func.count()).select_from(offers).where(*where)).scalar_one()
        rows = conn.execute(select(offers).where(*where).order_by(offers.c.created_at, offers.c.id)
                            .limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return list(rows), total


def _event(partner: str, action: str, row: dict):
    data = {"offer_id": row["id"], "name": row["name"], "description": row["description"],
            "category": row["category"], "buurt": row["buurt"], "wijk": row["wijk"],
            "status": row["status"], "version": row["version"],
            "updated_at": row["updated_at"].isoformat().replace("+00:00", "Z")}
    return new_event(partner, SERVICE, "offer", action, row["id"], data)
