"""The reference server for the intake figure: parse the JSON body and insert it as one row with plain
psycopg in one transaction, served like the requests service (gunicorn, 2 workers × 1 thread).

    python bench/minimal_intake_app.py PORT POSTGRES_URL SCHEMA
"""
import json
import sys
import uuid

import psycopg
from flask import Flask, request

from samen030.kernel.server import serve

app = Flask(__name__)
DSN = sys.argv[2].replace("postgresql+psycopg://", "postgresql://")
SCHEMA = sys.argv[3]
connection = None


def _conn():
    global connection
    if connection is None:  # one per worker, after the fork
        connection = psycopg.connect(DSN)
    return connection


@app.get("/health")
def health():
    return {"ok": True}


@app.post("/requests")
def take_in():
    body = request.get_json()
    with _conn().transaction():
        _conn().execute(f'INSERT INTO "{SCHEMA}".requests (id, body) VALUES (%s, %s)', (str(uuid.uuid4()), json.dumps(body)))
    return {"ok": True}, 201


if __name__ == "__main__":
    with psycopg.connect(DSN, autocommit=True) as setup:
        setup.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        setup.execute(f'CREATE TABLE IF NOT EXISTS "{SCHEMA}".requests (id text PRIMARY KEY, body jsonb NOT NULL)')
    serve(app, int(sys.argv[1]), workers=2, threads=1)
