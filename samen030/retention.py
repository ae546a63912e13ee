"""`samen030 retention`: anonymise what a partner no longer needs to keep — help requests closed or
withdrawn more than SAMEN030_RETENTION_REQUESTS_DAYS ago (365 by default) and members who left
(`opgezegd`) more than SAMEN030_RETENTION_MEMBERS_DAYS ago (730) — through the same erasure as a person's
request. Once (`--dry-run` only counts), or every `--every` seconds (the local federation: hourly)."""
import asyncio
import logging
import os

from samen030.kernel.config import ConfigError, load_federation
from samen030.kernel.database import open_database
from samen030.kernel.workers import wait_or_stop

DEFAULT_DAYS = {"requests": 365.0, "members": 730.0}
log = logging.getLogger(__name__)


def retention_days(service: str) -> float:
    name = f"SAMEN030_RETENTION_{service.upper()}_DAYS"
    try:
        days = float(os.environ.get(name, DEFAULT_DAYS[service]))
    except ValueError:
        raise ConfigError(f"{name} must be a number of days") from None
    if days < 0:
        raise ConfigError(f"{name} must not be negative")
    return days


def run_retention(partner: str, dry_run: bool = False) -> dict:
    """Counts per service the partner runs; never who."""
    services = load_federation().partner(partner).services
    result = {"partner": partner, "dry_run": dry_run}
    if "members" in services:
        from samen030.members import retention as members_retention
        from samen030.members.tables import metadata
        db = open_database(partner, "members", metadata)
        try:
            days = retention_days("members")
            result |= {"members_days": days, **members_retention.apply_retention(db, partner, days, dry_run)}
        finally:
            db.dispose()
    if "requests" in services:
        from samen030.helprequests import retention as requests_retention
        from samen030.helprequests.tables import metadata
        db = open_database(partner, "requests", metadata)
        try:
            days = retention_days("requests")
            result |= {"requests_days": days, **requests_retention.apply_retention(db, partner, days, dry_run)}
        finally:
            db.dispose()
    return result


def describe(result: dict) -> str:
    would = "would be " if result["dry_run"] else ""
    lines = [f"{result['partner']}:"]
    if "members_days" in result:
        done = result["members_expired"] if result["dry_run"] else result["members_erased"]
        lines.append(f"  members who left more than {result['members_days']:g} days ago: {done} {would}erased "
                     f"({result['members_anonymous']} anonymous records in all)")
    if "requests_days" in result:
        done = result["requests_expired"] if result["dry_run"] else result["requests_anonymised"]
        lines.append(f"  requests closed or withdrawn more than {result['requests_days']:g} days ago: {done} "
                     f"{would}anonymised ({result['requests_anonymous']} anonymous records in all)")
    if len(lines) == 1:
        lines.append("  runs neither a members nor a requests service: nothing to do")
    return "\n".join(lines)


async def run_periodically(partners: list[str], every: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        for partner in partners:
            try:
                result = await asyncio.to_thread(run_retention, partner)
                log.info("retention %s", describe(result).replace(":\n  ", ": ", 1).replace("\n  ", "; "))
            except Exception:
                log.exception("retention for %s failed; trying again in %gs", partner, every)
        await wait_or_stop(stop, every)
