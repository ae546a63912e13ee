"""A partner's members and their consents. Names and contact details are personal data: they stay in
this database, are served only to the partner's coordinators, and are removed when a person asks
(erase keeps the row as an anonymous counted record)."""
from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, MetaData, String, Table

from samen030.kernel.database import UTCDateTime
from samen030.kernel.outbox import outbox_table

metadata = MetaData()

members = Table(
    "members", metadata,
    Column("id", String(36), primary_key=True),
    Column("type", String(16), nullable=False),  # person | organisation
    Column("kind", String(16), nullable=False),
    Column("membership_number", String(32), unique=True),  # NULL once erased
    Column("member_since", Date, nullable=False),
    Column("membership_status", String(16), nullable=False),
    Column("role", String(16), nullable=False),
    Column("buurt", String(10)),
    Column("wijk", String(8)),
    Column("languages", String(200), nullable=False, default="nl"),  # comma-separated ISO 639-1 codes
    Column("skills", String(400), nullable=False, default=""),  # comma-separated taxonomy term codes
    Column("availability", JSON, nullable=False, default=list),  # [{byday, from, until}]
    Column("trade", String(200)),
    # personal data
    Column("name", String(200)),
    Column("email", String(200)),
    Column("phone", String(40)),
    Column("address", String(200)),
    Column("postcode", String(7)),
    Column("birth_date", Date),
    Column("erased_at", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
    Index("members_counted", "wijk", "kind", "membership_status", "erased_at", "skills"),  # counting.py reads only this
)

consents = Table(
    "consents", metadata,
    Column("id", String(36), primary_key=True),
    Column("member_id", String(36), ForeignKey("members.id"), nullable=False, index=True),
    Column("purpose", String(32), nullable=False),
    Column("how", String(16), nullable=False),  # schriftelijk | mondeling | online
    Column("given_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime),
    Column("withdrawn_how", String(16)),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", String(100), nullable=False),
)

accounts = Table(  # staff accounts (accounts.py): who may log in at this partner; never on the bus
    "accounts", metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(200), nullable=False, unique=True),  # personal: lower-case login
    Column("password_hash", String(256), nullable=False),
    Column("role", String(16), nullable=False),  # coordinator | volunteer
    Column("member_id", String(36)),  # the member this person is, if any
    Column("display_name", String(200)),  # personal
    Column("disabled_at", UTCDateTime),
    Column("sessions_since", UTCDateTime, nullable=False),  # tokens issued before it no longer count
    Column("last_login_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

publishing = Table(  # what this service last put on the bus (publishing.py): one row, publishing transactions queue on it
    "publishing", metadata,
    Column("id", String(16), primary_key=True),
    Column("sequence", Integer, nullable=False),  # of the last listing or counts event: a later event has a higher one
    Column("counts", JSON, nullable=False),  # the counts last published
)

outbox = outbox_table(metadata)

PERSONAL_FIELDS = ("name", "email", "phone", "address", "postcode", "birth_date")
LISTS = ("languages", "skills")  # stored comma-separated


def member_of(row) -> dict:
    """A row of `members` as the use cases work with it: lists as lists."""
    member = dict(row)
    for key in LISTS:
        member[key] = [v for v in (member[key] or "").split(",") if v]
    member["availability"] = list(member["availability"] or [])
    return member


def row_of(member: dict) -> dict:
    row = {c.name: member.get(c.name) for c in members.columns}
    for key in LISTS:
        row[key] = ",".join(member.get(key) or [])
    row["availability"] = [dict(w) for w in member.get("availability") or []]
    return row
