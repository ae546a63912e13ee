"""Figure 6, intake at one partner on PostgreSQL: `POST /requests` (validation, the request, its
consents, its transition record and its event in the outbox, one transaction) on a requests service
served as `samen030 serve requests` does (gunicorn, here 2 workers × 1 thread), loaded by
bench/loadgen.py with 32 connections, next to a reference served the same way: a minimal Flask
endpoint that parses the same JSON and inserts it as one row with plain psycopg in one transaction
(bench/minimal_intake_app.py). The same PostgreSQL, schemas of its own, dropped afterwards."""
import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from infra import Federation, bench_port

from samen030.helprequests.tables import help_requests, outbox
from samen030.kernel.auth import issue_token

BENCH_DIR = Path(__file__).resolve().parent
PARTNER = "wijkinformatiepunt"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
QUESTION = {"channel": "walk_in", "category": "informatie", "terms": ["geldzaken"], "buurt": "BU03440832",
            "urgency": "normal", "question": "Ik begrijp de brief van de Belastingdienst over mijn toeslag niet.",
            "name": "Bewoner Benchmark", "phone": "06 12345678",
            "consents": [{"purpose": "share_for_referral", "how": "mondeling"},
                         {"purpose": "contact_phone", "how": "mondeling"}]}


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else os.environ.get("SAMEN030_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)


def run_post_load(port: int, path: str, body: dict, headers: dict, ok: int, connections: int = 32,
                  warmup: float = 1.0, duration: float = 5.0) -> dict:
    command = [sys.executable, str(BENCH_DIR / "loadgen.py"), "--port", str(port), "--path", path, "--method", "POST",
               "--json", json.dumps(body), "--ok", str(ok), "--connections", str(connections),
               "--warmup", str(warmup), "--duration", str(duration),
               *[arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=warmup + duration + 30, check=True)
    return json.loads(done.stdout)


def measure(fed: Federation) -> dict:
    url = postgres_url()
    schema = f"bench{os.getpid()}_intake"
    env = {"DATABASE_URL": url, "DATABASE_SCHEMA": schema + "_{partner}_{service}"}
    service_port, minimal_port = bench_port(), bench_port()
    fed.start_samen030("requests-intake", "serve", "requests", "--partner", PARTNER, "--port", str(service_port),
                       "--workers", "2", "--threads", "1", env=env)
    fed.start("minimal-intake", [str(BENCH_DIR / "minimal_intake_app.py"), str(minimal_port), url, schema + "_minimal"])
    engine = create_engine(url)
    try:
        fed.wait_healthy("requests-intake", service_port)
        fed.wait_healthy("minimal-intake", minimal_port)
        token = issue_token(PARTNER, "coordinator", "bench")
        results = {"minimal": run_post_load(minimal_port, "/requests", QUESTION, {}, 201),
                   "intake": run_post_load(service_port, "/requests", QUESTION, {"Authorization": f"Bearer {token}"}, 201)}
        with engine.connect().execution_options(schema_translate_map={None: f"{schema}_{PARTNER}_requests"}) as conn:
            results["rows"] = conn.execute(select(func.count()).select_from(help_requests)).scalar_one()
            results["events"] = conn.execute(select(func.count()).select_from(outbox)).scalar_one()
        return results
    finally:
        fed.stop("requests-intake", "minimal-intake")
        with engine.begin() as conn:
            for name in conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                                     {"p": f"{schema}%"}).scalars().all():
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()
