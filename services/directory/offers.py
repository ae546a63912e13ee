"""The directory's use cases: each change to an offer, its change log and its event commit in one
transaction (the transactional outbox)."""
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone

from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from samen030.kernel import outbox as outbox_rows
from samen030.kernel.database import Database
from samen030.kernel.geography import buurt

from .events import offer_event
from .schemas import consistency_errors
from .tables import changes, contacts, locations, offers, outbox, schedules

CHILDREN = {"locations": locations, "schedules": schedules, "contacts": contacts}
LISTS = ("terms", "languages", "areas")
OPTIONAL = {"description": "", "terms": [], "areas": [], "status": "active", "url": None, "free": True, "fees_description": None,
            "eligibility_description": None, "minimum_age": None, "maximum_age": None, "languages": ["nl"],
            "locations": [], "schedules": [], "contacts": []}


class StaleVersion(Exception):
    def __init__(self, current: int):
        super().__init__(f"The offer was changed meanwhile: its version is now {current}.")


class InvalidChange(Exception):
    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


def create_offer(db: Database, partner: str, fields: dict, user: str) -> dict:
    with db.begin() as conn:
        offer_id = create_offer_in(conn, partner, fields, user)["id"]
        return load_offers(conn, [offer_id])[offer_id]


def create_offer_in(conn: Connection, partner: str, fields: dict, user: str, offer_id: str | None = None) -> dict:
    """create_offer within the caller's transaction; returns the offer as written."""
    now = datetime.now(timezone.utc)
    offer = {**OPTIONAL, **fields, "id": offer_id or str(uuid.uuid4()), "wijk": buurt(fields["buurt"]).wijk_code,
             "version": 1, "created_at": now, "updated_at": now, "updated_by": user}
    conn.execute(insert(offers), _row(offer))
    _replace_children(conn, offer, new=True)
    _log(conn, offer["id"], "create", {"name": ("", offer["name"])}, now, user)
    outbox_rows.record(conn, outbox, offer_event(partner, "created", offer))
    return offer


def update_offer(db: Database, partner: str, offer_id: str, changes_in: dict, user: str) -> dict | None:
    with db.begin() as conn:
        if update_offer_in(conn, partner, offer_id, changes_in, user) is None:
            return None
        return load_offers(conn, [offer_id])[offer_id]


def update_offer_in(conn: Connection, partner: str, offer_id: str, changes_in: dict, user: str) -> dict | None:
    """update_offer within the caller's transaction; returns the offer as written, None if there is none."""
    expected = changes_in.pop("version")
    current = load_offers(conn, [offer_id]).get(offer_id)
    if current is None:
        return None
    if current["version"] != expected:
        raise StaleVersion(current["version"])
    offer = {**current, **changes_in}
    if errors := consistency_errors(offer):
        raise InvalidChange(errors)
    now = datetime.now(timezone.utc)
    offer.update(wijk=buurt(offer["buurt"]).wijk_code, version=expected + 1, updated_at=now, updated_by=user)
    conn.execute(update(offers).where(offers.c.id == offer_id).values(_row(offer)))
    if CHILDREN.keys() & changes_in.keys():
        _replace_children(conn, offer)
    changed = {k: (current[k], offer[k]) for k in changes_in if current[k] != offer[k]}
    _log(conn, offer_id, "update", changed, now, user)
    outbox_rows.record(conn, outbox, offer_event(partner, "updated", offer))
    return offer


def changed_fields(current: dict, fields: dict) -> dict:
    """The fields (as loaded by OfferSchema, absent ones at their defaults) whose values differ from the
    stored offer's; places, opening hours and contacts are compared without their ids."""
    wanted = {**OPTIONAL, **fields}
    return {key: value for key, value in wanted.items()
            if (_comparable(key, current[key]) if key in CHILDREN else current[key])
            != (_comparable(key, value) if key in CHILDREN else value)}


def _comparable(name: str, children: list[dict]) -> list[dict]:
    columns = [c.name for c in CHILDREN[name].columns if c.name not in ("id", "offer_id", "position", "wijk")]
    return [{c: child.get(c) for c in columns} for child in children]


def get_offer(db: Database, offer_id: str) -> dict | None:
    with db.connect() as conn:
        return load_offers(conn, [offer_id]).get(offer_id)


def find_offers(db: Database, page: int, per_page: int, *, category: str | None = None, term: str | None = None,
                buurt: str | None = None, wijk: str | None = None, postcode: str | None = None,
                text: str | None = None, modified_after: datetime | None = None) -> tuple[list[dict], int]:
    """A page of offers matching every criterion given, oldest first, and the number matching."""
    where = []
    if category:
        where.append(offers.c.category == category)
    if term:
        where.append(or_(offers.c.category == term, ("," + offers.c.terms + ",").contains(f",{term},")))
    for area, value in (("buurt", buurt), ("wijk", wijk)):
        if value:
            where.append(or_(offers.c[area] == value, _has_location(locations.c[area] == value),
                             _serves(value)))
    if postcode:
        compact = func.replace(locations.c.postal_code, " ", "")
        where.append(_has_location(compact.startswith(postcode.replace(" ", "").upper())))
    if text:
        pattern = f"%{text.lower()}%"
        where.append(or_(func.lower(offers.c.name).like(pattern), func.lower(offers.c.description).like(pattern)))
    if modified_after:
        where.append(offers.c.updated_at > modified_after)
    with db.connect() as conn:
        total = conn.execute(select(func.count()).select_from(offers).where(*where)).scalar_one()
        ids = conn.execute(select(offers.c.id).where(*where).order_by(offers.c.created_at, offers.c.id)
                           .limit(per_page).offset((page - 1) * per_page)).scalars().all()
        found = load_offers(conn, ids)
    return [found[i] for i in ids], total


def all_offers(db: Database, chunk: int = 500) -> Iterator[dict]:
    """Every offer with its children, oldest first."""
    with db.connect() as conn:
        ids = conn.execute(select(offers.c.id).order_by(offers.c.created_at, offers.c.id)).scalars().all()
        for start in range(0, len(ids), chunk):
            found = load_offers(conn, ids[start:start + chunk])
            yield from (found[offer_id] for offer_id in ids[start:start + chunk])


def _serves(area: str):
    """Its areas name the buurt or wijk, or (for a wijk) a buurt in it: BU0344WW… lies in WK0344WW."""
    listed = ("," + offers.c.areas + ",")
    if area.startswith("WK"):
        return or_(listed.contains(f",{area},"), listed.contains(f",BU{area[2:]}"))
    return listed.contains(f",{area},")


def _has_location(condition):
    return exists().where(locations.c.offer_id == offers.c.id, condition)


def find_location(db: Database, location_id: str) -> dict | None:
    """The offer a location belongs to, with that location."""
    with db.connect() as conn:
        offer_id = conn.execute(select(locations.c.offer_id).where(locations.c.id == location_id)).scalar()
        offer = load_offers(conn, [offer_id]).get(offer_id) if offer_id else None
    return offer and {"offer": offer, "location": next(l for l in offer["locations"] if l["id"] == location_id)}


def list_locations(db: Database, page: int, per_page: int) -> tuple[list[dict], int]:
    with db.connect() as conn:
        total = conn.execute(select(func.count()).select_from(locations)).scalar_one()
        pairs = conn.execute(select(locations.c.id, locations.c.offer_id).order_by(locations.c.offer_id, locations.c.position)
                             .limit(per_page).offset((page - 1) * per_page)).all()
        found = load_offers(conn, list({offer_id for _, offer_id in pairs}))
    return [{"offer": found[o], "location": next(l for l in found[o]["locations"] if l["id"] == i)}
            for i, o in pairs], total


def change_log(db: Database, offer_id: str) -> list[dict]:
    with db.connect() as conn:
        return [dict(r) for r in conn.execute(select(changes).where(changes.c.offer_id == offer_id)
                                              .order_by(changes.c.at)).mappings()]


def load_offers(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """Offers with their children, in one query per table."""
    if not ids:
        return {}
    found = {}
    for row in conn.execute(select(offers).where(offers.c.id.in_(ids))).mappings():
        offer = dict(row)
        for key in LISTS:
            offer[key] = [v for v in (offer[key] or "").split(",") if v]
        found[offer["id"]] = offer | {name: [] for name in CHILDREN}
    for name, table in CHILDREN.items():
        query = select(table).where(table.c.offer_id.in_(ids)).order_by(table.c.offer_id, table.c.position)
        for row in conn.execute(query).mappings():
            child = {k: v for k, v in row.items() if k not in ("offer_id", "position")}
            found[row["offer_id"]][name].append(child)
    return found


def _row(offer: dict) -> dict:
    row = {c.name: offer.get(c.name) for c in offers.columns}
    for key in LISTS:
        row[key] = ",".join(offer.get(key) or [])
    return row


def _replace_children(conn: Connection, offer: dict, new: bool = False) -> None:
    for name, table in CHILDREN.items():
        if not new:
            conn.execute(delete(table).where(table.c.offer_id == offer["id"]))
        children = offer.get(name) or []
        for position, child in enumerate(children):
            child["id"] = child.get("id") or str(uuid.uuid4())
            if name == "locations":
                child["wijk"] = buurt(child["buurt"]).wijk_code if child.get("buurt") else None
        if children:
            conn.execute(insert(table), [{**{c.name: child.get(c.name) for c in table.columns},
                                          "offer_id": offer["id"], "position": position}
                                         for position, child in enumerate(children)])


def _log(conn: Connection, offer_id: str, action: str, changed: dict, at: datetime, user: str) -> None:
    """The HSDS metadata of the change: one row per changed field."""
    rows = [{"id": str(uuid.uuid4()), "offer_id": offer_id, "action": action, "field_name": field,
             "previous_value": _text(old), "replacement_value": _text(new), "at": at, "by": user}
            for field, (old, new) in changed.items()]
    if rows:
        conn.execute(insert(changes), rows)


def _text(value) -> str:
    return "" if value is None else str(value)[:2000]
