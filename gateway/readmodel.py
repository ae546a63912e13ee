"""The gateway's combined read model, built only from the partners' events."""
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from samen030.kernel.consumer import tracking_table
from samen030.kernel.database import UTCDateTime

metadata = MetaData()

offers = Table(
    "offers", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(64), nullable=False),
    Column("buurt", String(10), nullable=False),
    Column("wijk", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # One index per filter, in the order a page is read, so a page never sorts all matches.
    *(Index(f"offers_page_by_{column}", column, "status", "name", "id")
      for column in ("wijk", "buurt", "category", "partner")),
    Index("offers_page_by_wijk_category", "wijk", "category", "status", "name", "id"),
    Index("offers_page", "status", "name", "id"),
)

partner_status = Table(
    "partner_status", metadata,
    Column("partner", String(32), primary_key=True),
    Column("last_event_at", UTCDateTime, nullable=False),
    Column("last_applied_at", UTCDateTime, nullable=False),
    Column("events_applied", Integer, nullable=False),
)

applied_events = tracking_table(metadata)
