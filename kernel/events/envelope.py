"""CloudEvents 1.0 in structured JSON mode, as the federation's conventions fix them:
id = outbox row UUID = Nats-Msg-Id, source = /partners/<partner>/<service>,
type = nl.samen030.<service>.<aggregate>.<event>.v1, subject = aggregate id, extension partnerid,
NATS subject samen030.<partner>.<service>.<aggregate>.<event>."""
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from ..privacy import ensure_no_personal_data
from .catalog import quick_check_for, validator_for

CONTENT_TYPE = "application/cloudevents+json"
TYPE = re.compile(r"^nl\.samen030\.([a-z]+)\.([a-z_]+)\.([a-z_]+)\.v(\d+)$")
SOURCE = re.compile(r"^/partners/([a-z][a-z0-9]{1,31})/([a-z]+)$")
_FORMAT = JSONFormat()


class InvalidEvent(ValueError):
    pass


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    source: str
    subject: str
    partner: str
    time: datetime
    data: dict

    @property
    def service(self) -> str:
        return TYPE.match(self.type).group(1)

    @property
    def nats_subject(self) -> str:
        _service, aggregate, action, _v = TYPE.match(self.type).groups()
        return f"samen030.{self.partner}.{self.service}.{aggregate}.{action}"

    def to_json(self) -> bytes:
        return _FORMAT.write(CloudEvent({
            "id": self.id, "source": self.source, "type": self.type, "subject": self.subject,
            "time": self.time, "datacontenttype": "application/json", "partnerid": self.partner,
        }, self.data))

    def headers(self) -> dict[str, str]:
        return {"Nats-Msg-Id": self.id, "Content-Type": CONTENT_TYPE}


def new_event(partner: str, service: str, aggregate: str, action: str, aggregate_id: str,
              data: dict) -> Event:
    """An event ready for the outbox; refuses data that breaks its schema or carries personal data."""
    event = Event(id=str(uuid.uuid4()), type=f"nl.samen030.{service}.{aggregate}.{action}.v1",
                  source=f"/partners/{partner}/{service}", subject=aggregate_id, partner=partner,
                  time=datetime.now(timezone.utc), data=data)
    _check_data(event)
    ensure_no_personal_data(data)
    return event


def parse_event(payload: bytes, nats_subject: str | None = None) -> Event:
    """Read an untrusted message from the bus; raise InvalidEvent saying what is wrong."""
    try:
        ce = _FORMAT.read(CloudEvent, payload)
    except (BaseCloudEventException, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise InvalidEvent(f"not a CloudEvents 1.0 JSON event: {exc}") from None
    partner = ce.get_extension("partnerid")
    source = SOURCE.match(ce.get_source() or "")
    if not source or source.group(1) != partner:
        raise InvalidEvent(f"source {ce.get_source()!r} does not belong to partnerid {partner!r}")
    if not TYPE.match(ce.get_type()) or TYPE.match(ce.get_type()).group(1) != source.group(2):
        raise InvalidEvent(f"type {ce.get_type()!r} does not match source {ce.get_source()!r}")
    data = ce.get_data()
    if not isinstance(data, dict):
        raise InvalidEvent("data must be a JSON object")
    event = Event(id=ce.get_id(), type=ce.get_type(), source=ce.get_source(), subject=ce.get_subject() or "",
                  partner=partner, time=ce.get_time(), data=data)
    if nats_subject is not None and nats_subject != event.nats_subject:
        raise InvalidEvent(f"event {event.type} from {partner} arrived on subject {nats_subject!r}, "
                           f"expected {event.nats_subject!r}")
    _check_data(event)
    return event


def _check_data(event: Event) -> None:
    if (quick := quick_check_for(event.type)) is not None and quick(event.data):
        return
    validator = validator_for(event.type)
    if validator is None:
        raise InvalidEvent(f"unknown event type {event.type!r}")
    errors = sorted(validator.iter_errors(event.data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(map(str, errors[0].path)) or "data"
        raise InvalidEvent(f"{event.type} {where}: {errors[0].message}")
