"""Import speed: a 10,000-service HSDS CSV set (the demo offers' texts, places, opening hours and
languages in random Utrecht buurten, a contact person on every third) imported by
`python -m samen030 import` into a fresh SQLite directory, timed from start to exit: reading the files,
validating every service, and writing every offer with its change log and outbox event in one
transaction. Run alone: `.venv/bin/python bench/importspeed.py`.

`floor(source, tmpdir)` is the reference `make bench` prints next to it: the same CSV files read with
the csv module and inserted as they are (every column TEXT, one table per file) into a fresh SQLite
file with the project's pragmas, by plain sqlite3 `executemany` in one transaction, also in a Python
process of its own timed from start to exit. It checks, maps and logs nothing: a floor, not a rival."""
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from samen030.demo import DEMO_OFFERS
from samen030.directory import hsds, hsds_tabular
from samen030.kernel.config import Partner
from samen030.kernel.geography import buurten

SERVICES = 10_000
PARTNER = Partner("krachtstation", "Krachtstation Kanaleneiland")
PHASE = re.compile(r"^(\S+) \(\w+\)\s.*\s([0-9.]+) s$", re.MULTILINE)


def offers(count: int, rng: random.Random) -> list[dict]:
    templates = [offer for partner_offers in DEMO_OFFERS.values() for offer in partner_offers]
    areas = sorted(buurten())
    now = datetime.now(timezone.utc)
    made = []
    for n in range(count):
        offer = {"description": "", "status": "active", "free": True, "url": None, "languages": ["nl"], "terms": [],
                 **templates[n % len(templates)], "id": str(uuid.uuid4()), "updated_at": now}
        offer |= {"name": f"{offer['name']} {n}", "buurt": rng.choice(areas),
                  "locations": [{**place, "id": str(uuid.uuid4()), "location_type": place.get("location_type", "physical")}
                                for place in offer.get("locations", [])],
                  "schedules": [{**hours, "id": str(uuid.uuid4())} for hours in offer.get("schedules", [])],
                  "contacts": [{"id": str(uuid.uuid4()), "name": f"Coördinator {n}", "email": f"coordinator{n}@example.nl",
                                "phone": "030 123 45 67"}] if n % 3 == 0 else []}
        made.append(offer)
    return made


def write_csv_set(target: Path, count: int = SERVICES) -> int:
    """The HSDS CSV files of `count` services in `target`; returns the number of data rows."""
    services = [hsds.service(offer, PARTNER) for offer in offers(count, random.Random(2026))]
    tables = hsds_tabular.flatten(services, [hsds.organization(PARTNER)], [hsds.taxonomy()])
    hsds_tabular.save_tables(tables, target)
    return sum(len(rows) for rows in tables.values())


def measure(tmpdir, timeout: float = 1800) -> dict:
    tmpdir = Path(tmpdir)
    source = tmpdir / "hsds-csv"
    rows = write_csv_set(source)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmpdir}/{{partner}}-{{service}}.sqlite"}
    env.pop("DATABASE_SCHEMA", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "samen030", "import", "--partner", PARTNER.id, str(source)],
                          env=env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"samen030 import failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
    phases = {name: float(s) for name, s in PHASE.findall(done.stderr)}
    return {"source": source, "services": SERVICES, "csv_rows": rows, "seconds": seconds, "services_per_s": SERVICES / seconds,
            "csv_rows_per_s": rows / seconds, "validating_s": phases.get("valideren"), "writing_s": phases.get("schrijven")}


FLOOR = """
import csv, sqlite3, sys
from pathlib import Path
db = sqlite3.connect(sys.argv[2], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("BEGIN IMMEDIATE")
rows = 0
for path in sorted(Path(sys.argv[1]).glob("*.csv")):
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        table = '"' + path.stem + '"'
        db.execute(f"CREATE TABLE {table} ({', '.join(chr(34) + c + chr(34) + ' TEXT' for c in header)})")
        data = list(reader)
        db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(header))})", data)
        rows += len(data)
db.execute("COMMIT")
print(rows)
"""


def floor(source: Path, tmpdir, timeout: float = 300) -> dict:
    """Plain sqlite3 executemany of the same CSV rows, timed like the import (see the docstring)."""
    target = Path(tmpdir) / "floor.sqlite"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", FLOOR, str(source), str(target)], capture_output=True, text=True,
                          timeout=timeout, check=True)
    seconds = time.perf_counter() - started
    rows = int(done.stdout)
    return {"csv_rows": rows, "seconds": seconds, "csv_rows_per_s": rows / seconds}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(tmp)
    print(f"import of {result['services']:,} services ({result['csv_rows']:,} CSV rows) in {result['seconds']:.1f} s: "
          f"{result['services_per_s']:,.0f} services/s, {result['csv_rows_per_s']:,.0f} CSV rows/s "
          f"(validating {result['validating_s']} s, writing {result['writing_s']} s)")
