"""Each partner's webhook secret: its own, never derived from one the partners share (then any partner
holding that one could sign as the notifier to another). `SAMEN030_<PARTNER>_WEBHOOK_SECRET`, else the
partner's entry in `<keys dir>/webhook-secrets.json` (mode 0600), which `samen030 run` fills with a
random secret per local partner. Held only where the notifier runs, and by each partner for its own."""
import json
import os
import secrets
from pathlib import Path
from typing import Iterable

from samen030.kernel.config import ConfigError, Federation
from samen030.kernel.keys import keys_dir

FILE_NAME = "webhook-secrets.json"


def secrets_file() -> Path:
    return keys_dir() / FILE_NAME


def env_name(partner: str) -> str:
    return f"SAMEN030_{partner.upper()}_WEBHOOK_SECRET"


def webhook_secret(partner: str) -> str | None:
    """The partner's secret, or None when it has none. The file is read each time, so an entry added
    to it counts without restarting the notifier."""
    return os.environ.get(env_name(partner)) or _read(secrets_file()).get(partner) or None


def missing_secret_reason(partner: str) -> str:
    return (f"no webhook secret for {partner}: set {env_name(partner)} or add {partner!r} to {secrets_file()} "
            f"(samen030 notifications --webhook-secret {partner} makes one); not sent unsigned")


def partners_without_secret(federation: Federation) -> list[str]:
    """The partners that configured a webhook but have no secret to sign its calls with."""
    return [p.id for p in federation.partners.values() if p.webhook and webhook_secret(p.id) is None]


def ensure_webhook_secrets(partners: Iterable[str]) -> Path:
    """A new random secret in the file for each partner that has none; those it has are kept."""
    path = secrets_file()
    stored = _read(path)
    new = {p: secrets.token_urlsafe(32) for p in partners if webhook_secret(p) is None}
    if new:
        _write(path, {**stored, **new})
    return path


def _read(path: Path) -> dict[str, str]:
    try:
        stored = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the webhook secrets in {path}: {exc}") from None
    if not isinstance(stored, dict) or not all(isinstance(v, str) for v in stored.values()):
        raise ConfigError(f"{path} must be a JSON object of partner id to secret")
    return stored


def _write(path: Path, stored: dict[str, str]) -> None:
    """Whole or not at all, and never readable by others, not even for a moment."""
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(stored, out, indent=2, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(partial, 0o600)
    os.replace(partial, path)
