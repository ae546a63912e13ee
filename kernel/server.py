"""Serve a Flask app with gunicorn: the app is built once in the master (tables created there),
then each forked worker gets its own database connections."""
from gunicorn.app.base import BaseApplication

from .logs import gunicorn_logconfig


class _Gunicorn(BaseApplication):
    def __init__(self, app, options: dict):
        self.application, self.options = app, options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.application


def _post_fork(_server, worker):
    db = worker.app.application.extensions.get("samen030.db")
    if db is not None:
        db.dispose()


def serve(app, port: int, host: str = "127.0.0.1", workers: int = 1, threads: int = 4,
          worker_class: str | None = None) -> None:
    options = {
        "bind": f"{host}:{port}", "workers": workers, "threads": threads,
        "worker_class": worker_class or ("gthread" if threads > 1 else "sync"),
        "post_fork": _post_fork, "accesslog": None, "errorlog": "-", "loglevel": "warning",
        "logconfig_dict": gunicorn_logconfig(),  # gunicorn's lines and the app's alike (SAMEN030_LOG_FORMAT)
        "graceful_timeout": 5, "timeout": 30, "keepalive": 5,
    }
    _Gunicorn(app, options).run()
