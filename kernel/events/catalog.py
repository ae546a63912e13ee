"""Every event type on the bus and the JSON Schema its `data` must satisfy."""
import json
from functools import cache
from importlib import resources

from jsonschema import Draft202012Validator, FormatChecker

from .quick import Check, Unsupported, compile_schema

EVENT_SCHEMAS = {
    "nl.samen030.directory.offer.created.v1": "directory.offer.v1.json",
    "nl.samen030.directory.offer.updated.v1": "directory.offer.v1.json",
    "nl.samen030.members.member.listed.v1": "members.member.listed.v1.json",
    "nl.samen030.members.member.unlisted.v1": "members.member.unlisted.v1.json",
    "nl.samen030.members.member.erased.v1": "members.member.erased.v1.json",
    "nl.samen030.members.counts.changed.v1": "members.counts.v1.json",
    # no longer published (every member, whatever their consent); still read where they wait on a stream
    "nl.samen030.members.member.registered.v1": "members.member.v1.json",
    "nl.samen030.members.member.updated.v1": "members.member.v1.json",
    "nl.samen030.members.consent.given.v1": "members.consent.v1.json",
    "nl.samen030.members.consent.withdrawn.v1": "members.consent.v1.json",
    "nl.samen030.requests.request.received.v1": "requests.request.v1.json",
    "nl.samen030.requests.request.changed.v1": "requests.request.v1.json",
    "nl.samen030.requests.request.overdue.v1": "requests.request.overdue.v1.json",
    "nl.samen030.requests.referral.sent.v1": "requests.referral.sent.v1.json",
    "nl.samen030.requests.request.erased.v1": "requests.request.erased.v1.json",
}


@cache
def quick_check_for(event_type: str) -> Check | None:
    """A quick yes for data that satisfies the type's schema (kernel/events/quick.py); None: ask validator_for."""
    validator = validator_for(event_type)
    if validator is None:
        return None
    try:
        return compile_schema(validator.schema, validator.format_checker)
    except Unsupported:
        return None


@cache
def validator_for(event_type: str) -> Draft202012Validator | None:
    name = EVENT_SCHEMAS.get(event_type)
    if name is None:
        return None
    schema = json.loads(resources.files(__package__).joinpath("schemas", name).read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())
