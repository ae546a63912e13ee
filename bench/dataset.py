"""Offers for the benchmark: the demo offers' texts in random Utrecht buurten, written to a directory's
database exactly as its create-offer use case writes them (offer row + outbox row with a real
CloudEvent from new_event), only many per transaction."""
import random
import uuid
from datetime import datetime, timezone

from samen030.demo import DEMO_OFFERS
from samen030.directory.tables import offers, outbox
from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database
from samen030.kernel.events import Event, new_event
from samen030.kernel.geography import buurt, buurten

TEMPLATES = [offer for partner_offers in DEMO_OFFERS.values() for offer in partner_offers]
BUURTEN = sorted(buurten())


def offer_fields(rng: random.Random, number: int) -> dict:
    """A POST /offers body."""
    template = TEMPLATES[number % len(TEMPLATES)]
    return {"name": f"{template['name']} {number}", "description": template["description"],
            "category": template["category"], "buurt": rng.choice(BUURTEN)}


def offer_event(partner: str, fields: dict, user: str = "bench") -> tuple[dict, Event]:
    """The offer row and its created event, as samen030.directory.offers.create_offer builds them."""
    now = datetime.now(timezone.utc)
    row = {"status": "active", **fields, "id": str(uuid.uuid4()), "wijk": buurt(fields["buurt"]).wijk_code,
           "version": 1, "created_at": now, "updated_at": now, "updated_by": user}
    data = {key: row[key] for key in ("name", "description", "category", "buurt", "wijk", "status", "version")}
    data.update(offer_id=row["id"], updated_at=now.isoformat().replace("+00:00", "Z"))
    return row, new_event(partner, "directory", "offer", "created", row["id"], data)


def insert_offers(db: Database, partner: str, count: int, rng: random.Random, first: int = 0) -> None:
    """`count` new offers and their outbox rows in one transaction."""
    created = [offer_event(partner, offer_fields(rng, first + n)) for n in range(count)]
    with db.begin() as conn:
        conn.execute(offers.insert(), [row for row, _event in created])
        for _row, event in created:
            outbox_rows.record(conn, outbox, event)
