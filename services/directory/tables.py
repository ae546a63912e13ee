"""A partner's directory: its offers (HSDS services) with their locations, opening hours and contact
persons, and the log of every change (HSDS metadata). Contact persons and the change log are personal
data: they never leave the partner's own API."""
from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text

from samen030.kernel.database import UTCDateTime
from samen030.kernel.outbox import outbox_table

metadata = MetaData()

offers = Table(
    "offers", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("category", String(64), nullable=False),
    Column("terms", String(400), nullable=False, default=""),  # comma-separated sub-term codes
    Column("buurt", String(10), nullable=False),
    Column("wijk", String(8), nullable=False),
    Column("areas", String(400), nullable=False, default=""),  # comma-separated buurt/wijk codes it also serves
    Column("status", String(32), nullable=False),
    Column("url", String(500)),
    Column("free", Boolean, nullable=False, default=True),
    Column("fees_description", Text),
    Column("eligibility_description", Text),
    Column("minimum_age", Integer),
    Column("maximum_age", Integer),
    Column("languages", String(200), nullable=False, default="nl"),  # comma-separated ISO 639-1 codes
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)


def _child(name: str, *columns: Column) -> Table:
    return Table(name, metadata,
                 Column("id", String(36), primary_key=True),
                 Column("offer_id", String(36), ForeignKey("offers.id", ondelete="CASCADE"), nullable=False, index=True),
                 Column("position", Integer, nullable=False),
                 *columns)


locations = _child(
    "locations",
    Column("location_type", String(16), nullable=False),  # physical | virtual
    Column("name", String(200)),
    Column("address_1", String(200)),
    Column("postal_code", String(7)),
    Column("city", String(100)),
    Column("buurt", String(10)),
    Column("wijk", String(8)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("url", String(500)),
)

schedules = _child(
    "schedules",
    Column("byday", String(20), nullable=False),  # iCal BYDAY, e.g. MO,WE
    Column("opens_at", String(5), nullable=False),
    Column("closes_at", String(5), nullable=False),
    Column("description", String(500)),
)

contacts = _child(
    "contacts",
    Column("name", String(200)),
    Column("title", String(200)),
    Column("email", String(200)),
    Column("phone", String(40)),
)

changes = Table(
    "changes", metadata,
    Column("id", String(36), primary_key=True),
    Column("offer_id", String(36), nullable=False, index=True),
    Column("action", String(16), nullable=False),  # create | update
    Column("field_name", String(64), nullable=False),
    Column("previous_value", Text, nullable=False),
    Column("replacement_value", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(100), nullable=False),
)

outbox = outbox_table(metadata)
