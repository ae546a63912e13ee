from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from samen030.kernel.database import UTCDateTime
from samen030.kernel.outbox import outbox_table

metadata = MetaData()

offers = Table(
    "offers", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("category", String(64), nullable=False),
    Column("buurt", String(10), nullable=False),
    Column("wijk", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False),
)

outbox = outbox_table(metadata)
