"""How every process logs: one line per record on stderr, at SAMEN030_LOG_LEVEL (default INFO), as text
or, with SAMEN030_LOG_FORMAT=json, as one JSON object per line (python-json-logger): `time` (UTC, ISO
8601), `level`, `logger`, `message`, `event_id` where the line concerns one event (logged with
`extra={"event_id": …}`), `exc_info` with the traceback where there is one.

`configure_logging()` sets this up in a worker or a node process; `gunicorn_logconfig()` is the same
as gunicorn's `logconfig_dict`, so that its own lines and the app's come out alike."""
import logging
import os

FORMAT_SETTING, LEVEL_SETTING = "SAMEN030_LOG_FORMAT", "SAMEN030_LOG_LEVEL"
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(name)s %(levelname)s %(message)s"


def log_format() -> str:
    value = os.environ.get(FORMAT_SETTING, "text").strip().lower() or "text"
    if value not in FORMATS:
        raise ValueError(f"{FORMAT_SETTING} must be one of {', '.join(FORMATS)}, not {value!r}")
    return value


def log_level() -> str:
    value = os.environ.get(LEVEL_SETTING, "INFO").strip().upper() or "INFO"
    if not isinstance(logging.getLevelName(value), int):
        raise ValueError(f"{LEVEL_SETTING} must be a level such as DEBUG, INFO or WARNING, not {value!r}")
    return value


def formatter() -> logging.Formatter:
    """The formatter of every log line of the process, as SAMEN030_LOG_FORMAT asks."""
    if log_format() == "json":
        from pythonjsonlogger.json import JsonFormatter
        return JsonFormatter("%(levelname)s %(name)s %(message)s", timestamp="time",
                             rename_fields={"levelname": "level", "name": "logger"})
    return logging.Formatter(TEXT)


def configure_logging() -> None:
    """Log lines of this process to stderr as SAMEN030_LOG_FORMAT and SAMEN030_LOG_LEVEL say. Like
    logging.basicConfig, it leaves a root logger that has handlers already alone (a test's capture)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter())
    logging.basicConfig(level=log_level(), handlers=[handler])


def gunicorn_logconfig() -> dict:
    """gunicorn's `logconfig_dict`: its error log, its access log (when on) and every other logger go
    through the root logger's one handler, in the format of configure_logging()."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"samen030": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "samen030",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": log_level(), "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": {"handlers": [], "propagate": True},
                    "gunicorn.access": {"handlers": [], "propagate": True}},
    }
