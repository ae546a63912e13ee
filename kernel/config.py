"""The federation file (deploy/federation.toml) and the environment that overrides it."""
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
PARTNER_ID = re.compile(r"^[a-z][a-z0-9]{1,31}\Z")  # \Z: "$" would let a trailing newline through
SERVICES = ("directory", "requests", "members")


class ConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    services: dict[str, str] = field(default_factory=dict)
    description: str = ""
    notify_email: tuple[str, ...] = ()  # the coordinators' shared mailbox(es) the notifier writes to
    webhook: str | None = None  # the partner's webhook, if it configured one
    jwks: str | None = None  # where its public keys are published, when not at its services
    listen: dict[str, int] = field(default_factory=dict)  # ports its services bind, when not their URLs' (behind a proxy)

    def url(self, service: str) -> str:
        try:
            return self.services[service]
        except KeyError:
            raise ConfigError(f"partner {self.id!r} runs no {service!r} service") from None

    def jwks_url(self) -> str:
        """Where the partner's node publishes its public keys: `jwks_url` in the federation file, else
        its members service (or any of its services) at /.well-known/jwks.json."""
        if self.jwks:
            return self.jwks
        for service in ("members", *SERVICES):
            if service in self.services:
                return f"{self.services[service]}/.well-known/jwks.json"
        raise ConfigError(f"partner {self.id!r} runs no service and names no jwks_url")


@dataclass(frozen=True)
class Federation:
    gateway_url: str
    nats_url: str
    partners: dict[str, Partner]
    source: Path
    gateway_listen: int | None = None  # the port the gateway binds, when not its URL's
    portal_url: str = "http://127.0.0.1:8000"  # the shared web portal (residents, coordinators, the city)
    portal_listen: int | None = None

    def partner(self, partner_id: str) -> Partner:
        try:
            return self.partners[partner_id]
        except KeyError:
            raise ConfigError(f"unknown partner {partner_id!r}; the federation file "
                              f"{self.source} lists {', '.join(self.partners)}") from None


def port_of(url: str) -> int:
    return urlsplit(url).port or 80


def federation_path() -> Path:
    if path := os.environ.get("SAMEN030_FEDERATION"):
        return Path(path)
    local = Path.cwd() / "deploy" / "federation.toml"
    return local if local.exists() else REPO_ROOT / "deploy" / "federation.toml"


def load_federation(path: Path | None = None) -> Federation:
    path = path or federation_path()
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read federation file {path}: {exc}") from exc
    env = os.environ
    partners = {}
    for pid, spec in raw.get("partners", {}).items():
        if not PARTNER_ID.match(pid):
            raise ConfigError(f"partner id {pid!r} in {path} must be lower-case letters and digits")
        services = {}
        for service, url in spec.get("services", {}).items():
            if service not in SERVICES:
                raise ConfigError(f"partner {pid!r} in {path}: unknown service {service!r}")
            services[service] = env.get(f"SAMEN030_{pid.upper()}_{service.upper()}_URL", url).rstrip("/")
        notify = spec.get("notify", {})
        webhook = env.get(f"SAMEN030_{pid.upper()}_WEBHOOK_URL", notify.get("webhook"))
        jwks = env.get(f"SAMEN030_{pid.upper()}_JWKS_URL", spec.get("jwks_url"))
        listen = {service: int(port) for service, port in spec.get("listen", {}).items()}
        partners[pid] = Partner(pid, spec.get("name", pid), services, spec.get("description", ""),
                                tuple(notify.get("email", ())), webhook or None, jwks or None, listen)
    fed = raw.get("federation", {})
    return Federation(
        gateway_url=env.get("SAMEN030_GATEWAY_URL", fed.get("gateway_url", "http://127.0.0.1:8080")).rstrip("/"),
        nats_url=env.get("NATS_URL", fed.get("nats_url", "nats://127.0.0.1:4250")),
        partners=partners,
        source=path,
        gateway_listen=fed.get("gateway_listen"),
        portal_url=env.get("SAMEN030_PORTAL_URL", fed.get("portal_url", "http://127.0.0.1:8000")).rstrip("/"),
        portal_listen=fed.get("portal_listen"),
    )


_loaded: dict[tuple, Federation] = {}


def current_federation() -> Federation:
    """load_federation(), read again only when the file or the environment changed: for every request."""
    path = federation_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    key = (path, stamp, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(("SAMEN030_", "NATS_")))))
    if key not in _loaded:
        if len(_loaded) > 64:
            _loaded.clear()
        _loaded[key] = load_federation(path)
    return _loaded[key]


def var_dir() -> Path:
    path = Path(os.environ.get("SAMEN030_VAR", Path.cwd() / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path
