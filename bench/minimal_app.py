"""The reference server for the search figure: the smallest Flask JSON endpoint, served exactly like
the gateway (samen030.kernel.server.serve: gunicorn, 2 sync workers, 1 thread each).

    python bench/minimal_app.py PORT
"""
import sys

from flask import Flask

from samen030.kernel.server import serve

app = Flask(__name__)


@app.get("/ok")
def ok():
    return {"ok": True}


if __name__ == "__main__":
    serve(app, int(sys.argv[1]), workers=2, threads=1)
