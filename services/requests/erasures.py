"""The follow-up worker's part in erasure: its own partner's `member.erased` erases that member's
requests here; another partner's `request.erased` erases the copies it referred to us. Each erasure
emits this service's own `request.erased` (so a copy we referred on is dropped in turn), and once the
batch committed the old values are scrubbed from the database's files."""
from datetime import datetime, timezone

from samen030.kernel.consumer import Projection
from samen030.kernel.database import Database
from samen030.kernel.erasure import scrub
from samen030.kernel.events import Event
from samen030.kernel.nats_users import MEMBER_ERASED, REQUEST_ERASED, erasures_durable  # noqa: F401 (read here)

from .personal_data import TOUCHED, erase_copies, erase_member_requests
from .tables import applied_events


class ScrubbingProjection(Projection):
    """Scrubs the database after a batch that erased something has committed."""

    erased = False

    def apply(self, messages: list[tuple[bytes, str]]) -> list[str]:
        self.erased = False
        outcomes = super().apply(messages)
        if self.erased:
            scrub(self.db, TOUCHED)
        return outcomes


def erasures_projection(db: Database, partner: str) -> ScrubbingProjection:
    def on_member_erased(conn, event: Event) -> None:
        if event.partner == partner:  # a member of another partner is not ours
            projection.erased |= erase_member_requests(conn, partner, event.data["member_id"], _now()) > 0

    def on_request_erased(conn, event: Event) -> None:
        projection.erased |= erase_copies(conn, partner, event.partner, event.data, _now()) > 0

    projection = ScrubbingProjection(erasures_durable(partner), db, applied_events, {
        "nl.samen030.members.member.erased.v1": on_member_erased,
        "nl.samen030.requests.request.erased.v1": on_request_erased})
    return projection


def _now() -> datetime:
    return datetime.now(timezone.utc)
