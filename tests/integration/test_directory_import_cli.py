"""`samen030 import` and `samen030 export` as processes, on the partner's database itself."""
import csv
import json
import os
import subprocess
import sys

from samen030.directory import offers as directory
from samen030.directory.tables import metadata
from samen030.kernel.config import REPO_ROOT
from tests.integration.test_directory_import import PERSONAL, counts, events, foreign_service, write_json


def samen030(database_env: dict, *args) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_SCHEMA"} | database_env
    return subprocess.run([sys.executable, "-m", "samen030", *map(str, args)], env=env, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_import_and_export_from_the_command_line(databases, tmp_path):
    bad = write_json(tmp_path / "bad.json", [foreign_service(1), foreign_service(2, service_areas=[], service_at_locations=[])])
    done = samen030(databases.env(), "import", "--partner", "krachtstation", bad, "--report", tmp_path / "report.csv")
    assert done.returncode == 1, done.stderr
    assert "bad.json [1] (dienst taal-2) service_areas: Geen buurt" in done.stdout
    assert "niets geïmporteerd" in done.stdout
    with (tmp_path / "report.csv").open(encoding="utf-8") as report:
        rows = list(csv.DictReader(report))
    assert [(r["bestand (file)"], r["index"], r["dienst (service id)"], r["veld (field)"]) for r in rows] == [
        ("bad.json", "1", "taal-2", "service_areas")]
    db = databases.open("krachtstation", "directory", metadata)
    assert counts(db) == (0, 0)

    good = write_json(tmp_path / "good.json", [foreign_service(n) for n in range(3)])
    done = samen030(databases.env(), "import", "--partner", "krachtstation", good, "--dry-run")
    assert done.returncode == 0 and "proefrun" in done.stdout and counts(db) == (0, 0)

    done = samen030(databases.env(), "import", "--partner", "krachtstation", good, "--user", "maria")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 nieuw (new)" in done.stdout and "alternate_name (3×)" in done.stdout
    assert "valideren (validating)" in done.stderr and "schrijven (writing)" in done.stderr and "3/3" in done.stderr
    assert counts(db) == (3, 3)
    assert not [word for word in PERSONAL if word in json.dumps(events(db))]
    offer = next(directory.all_offers(db))
    assert directory.change_log(db, offer["id"])[0]["by"] == "maria"

    assert samen030(databases.env(), "export", "--partner", "krachtstation", "--format", "json", tmp_path / "out.json").returncode == 0
    assert samen030(databases.env(), "export", "--partner", "krachtstation", "--format", "csv", tmp_path / "out.zip").returncode == 0
    assert len(json.loads((tmp_path / "out.json").read_text())) == 3
    done = samen030(databases.env(), "import", "--partner", "zorgbelang", tmp_path / "out.zip")
    assert done.returncode == 0 and "3 nieuw (new)" in done.stdout, done.stdout + done.stderr
    again = samen030(databases.env(), "import", "--partner", "zorgbelang", tmp_path / "out.json")
    assert again.returncode == 0 and "3 ongewijzigd (unchanged)" in again.stdout, again.stdout + again.stderr


def test_an_unreadable_file_exits_with_status_2(tmp_path):
    sqlite = {"DATABASE_URL": f"sqlite:///{tmp_path}/{{partner}}-{{service}}.sqlite"}
    (tmp_path / "hsds").mkdir()
    done = samen030(sqlite, "import", "--partner", "krachtstation", tmp_path / "hsds")
    assert done.returncode == 2 and "geen services.csv" in done.stderr
    done = samen030(sqlite, "import", "--partner", "nobody", tmp_path / "hsds")
    assert done.returncode == 1 and "unknown partner" in done.stderr
