"""The members service's use cases: each change to a member and what it publishes (publishing.py) commit
in one transaction (the transactional outbox)."""
import uuid
from datetime import datetime, timezone

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from samen030.kernel.database import Database
from samen030.kernel.geography import buurt

from .publishing import begin_publishing, listing_of, publish_counts, publish_listing
from .schemas import consistency_errors
from .tables import member_of, members, row_of


class StaleVersion(Exception):
    def __init__(self, current: int):
        super().__init__(f"Het lid is intussen gewijzigd: de versie is nu {current} "
                         f"(the member was changed meanwhile: its version is now {current}).")


class InvalidChange(Exception):
    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


class Erased(Exception):
    def __init__(self):
        super().__init__("De gegevens van dit lid zijn gewist; het anonieme record kan niet meer worden gewijzigd "
                         "(this member's data was erased; the anonymous record cannot be changed).")


def _duplicate_number() -> InvalidChange:
    return InvalidChange({"membership_number": ["Dit lidnummer is al in gebruik (this membership number is taken)."]})


def register_member(db: Database, partner: str, fields: dict, user: str) -> dict:
    try:
        with db.begin() as conn:
            begin_publishing(conn, partner)
            member = register_member_in(conn, partner, fields, user)
            publish_counts(conn, partner)
            return load_member(conn, member["id"])
    except IntegrityError:  # the same number registered at the same moment
        raise _duplicate_number() from None


def register_member_in(conn: Connection, partner: str, fields: dict, user: str) -> dict:
    """register_member within the caller's publishing transaction (also the bulk import's), which publishes
    the counts after; returns the member as written. A new member has no consent yet: nothing is listed."""
    now = datetime.now(timezone.utc)
    member = {**fields, "id": str(uuid.uuid4()), "wijk": _wijk(fields.get("buurt")), "erased_at": None,
              "version": 1, "created_at": now, "updated_at": now, "updated_by": user}
    _refuse_taken_number(conn, member["membership_number"], member["id"])
    conn.execute(insert(members), row_of(member))
    return member


def update_member(db: Database, partner: str, member_id: str, changes: dict, user: str) -> dict | None:
    expected = changes.pop("version")
    try:
        with db.begin() as conn:
            begin_publishing(conn, partner)
            current = load_member(conn, member_id)
            if current is None:
                return None
            if current["erased_at"]:
                raise Erased()
            if current["version"] != expected:
                raise StaleVersion(current["version"])
            member = {**current, **changes}
            if errors := consistency_errors(member):
                raise InvalidChange(errors)
            if "membership_number" in changes:
                _refuse_taken_number(conn, member["membership_number"], member_id)
            member.update(wijk=_wijk(member.get("buurt")), version=expected + 1,
                          updated_at=datetime.now(timezone.utc), updated_by=user)
            listed = listing_of(conn, current)
            conn.execute(update(members).where(members.c.id == member_id).values(row_of(member)))
            publish_listing(conn, partner, listed, listing_of(conn, member))
            publish_counts(conn, partner)
            return load_member(conn, member_id)
    except IntegrityError:
        raise _duplicate_number() from None


def get_member(db: Database, member_id: str) -> dict | None:
    with db.connect() as conn:
        return load_member(conn, member_id)


def find_members(db: Database, page: int, per_page: int, **filters) -> tuple[list[dict], int]:
    """A page of members matching every filter given (kind, membership_status, role, buurt, wijk), oldest first."""
    where = [members.c[name] == value for name, value in filters.items()]
    with db.connect() as conn:
        total = conn.execute(select(func.count()).select_from(members).where(*where)).scalar_one()
        rows = conn.execute(select(members).where(*where).order_by(members.c.created_at, members.c.id)
                            .limit(per_page).offset((page - 1) * per_page)).mappings()
        return [member_of(row) for row in rows], total


def load_member(conn: Connection, member_id: str) -> dict | None:
    row = conn.execute(select(members).where(members.c.id == member_id)).mappings().first()
    return member_of(row) if row else None


def _refuse_taken_number(conn: Connection, number: str, member_id: str) -> None:
    taken = conn.execute(select(members.c.id).where(members.c.membership_number == number,
                                                    members.c.id != member_id)).first()
    if taken:
        raise _duplicate_number()


def _wijk(code: str | None) -> str | None:
    return buurt(code).wijk_code if code else None
