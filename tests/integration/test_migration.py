"""Tables are created or migrated on start: a directory made before a column existed gets it."""
from datetime import datetime, timezone

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

from samen030.directory import offers as directory
from samen030.directory.tables import metadata
from samen030.kernel.database import UTCDateTime


def first_release_metadata() -> MetaData:
    old = MetaData()
    Table("offers", old, Column("id", String(36), primary_key=True), Column("name", String(200), nullable=False),
          Column("description", Text, nullable=False), Column("category", String(64), nullable=False),
          Column("buurt", String(10), nullable=False), Column("wijk", String(8), nullable=False),
          Column("status", String(16), nullable=False), Column("version", Integer, nullable=False),
          Column("created_at", UTCDateTime, nullable=False), Column("updated_at", UTCDateTime, nullable=False),
          Column("updated_by", String(100), nullable=False))
    return old


def test_a_first_release_directory_is_migrated_on_start(databases):
    old = databases.open("migrated", "directory", first_release_metadata())
    now = datetime.now(timezone.utc)
    with old.begin() as conn:
        conn.execute(insert(old.metadata.tables["offers"]).values(
            id="0b6f3c1e-5d1a-4a7e-9d55-2f6f6f0b1c01", name="Buurtmaaltijd", description="", category="welzijn-ontmoeten",
            buurt="BU03440832", wijk="WK034408", status="active", version=1, created_at=now, updated_at=now, updated_by="x"))
    old.engine.dispose()

    db = databases.open("migrated", "directory", metadata)
    offer = directory.get_offer(db, "0b6f3c1e-5d1a-4a7e-9d55-2f6f6f0b1c01")
    assert (offer["name"], offer["free"], offer["languages"], offer["terms"], offer["locations"]) == (
        "Buurtmaaltijd", True, ["nl"], [], [])
    changed = directory.update_offer(db, "migrated", offer["id"], {"version": 1, "languages": ["nl", "tr"]}, "y")
    assert changed["languages"] == ["nl", "tr"]
