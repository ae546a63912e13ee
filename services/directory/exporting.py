"""A partner's whole directory as Open Referral HSDS 3.0: a JSON array of fully nested services (as
GET /services/{id} gives each, without the change log, which stays in the partner's API), or the HSDS
tables as CSV files. Importing either into an empty directory gives the same offers back."""
import json
from pathlib import Path
from typing import TextIO

from samen030.kernel.config import Partner
from samen030.kernel.database import Database

from . import hsds, hsds_tabular
from .offers import all_offers


def services(db: Database, partner: Partner) -> list[dict]:
    return [hsds.service(offer, partner) for offer in all_offers(db)]


def export_json(db: Database, partner: Partner, out: TextIO) -> int:
    found = services(db, partner)
    json.dump(found, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(found)


def export_tables(db: Database, partner: Partner, target: Path) -> int:
    """CSV files into the directory `target`, or into the zip file `target` when it ends in .zip."""
    found = services(db, partner)
    hsds_tabular.save_tables(hsds_tabular.flatten(found, [hsds.organization(partner)], [hsds.taxonomy()]), target)
    return len(found)
