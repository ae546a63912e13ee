"""A partner's help requests (hulpvragen). What the resident asks and how to reach them are personal
data: they stay in this database, are served only to the partner's coordinators, and go to another
partner only in a referral the resident consented to."""
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

from samen030.kernel.consumer import parked_table, tracking_table
from samen030.kernel.database import UTCDateTime
from samen030.kernel.outbox import outbox_table

metadata = MetaData()

help_requests = Table(
    "help_requests", metadata,
    Column("id", String(36), primary_key=True),
    Column("origin", String(16), nullable=False),  # intake | referral (arrived from another partner)
    Column("channel", String(16), nullable=False),  # walk_in | phone | web | email | referral
    Column("category", String(32), nullable=False),
    Column("terms", String(400), nullable=False, default=""),  # comma-separated sub-term codes
    Column("buurt", String(10), nullable=False),
    Column("wijk", String(8), nullable=False),
    Column("urgency", String(8), nullable=False),  # high | normal | low
    Column("languages", String(200), nullable=False, default="nl"),
    Column("member_id", String(36)),  # the resident at this partner's members service, if a member
    # personal data
    Column("question", Text),
    Column("name", String(200)),
    Column("phone", String(40)),
    Column("email", String(200)),
    Column("status", String(16), nullable=False),
    Column("referral_id", String(36), unique=True),  # set when the request arrived as a referral …
    Column("referred_by", String(32)),  # … from this partner
    Column("received_at", UTCDateTime, nullable=False),
    Column("first_contact_due", UTCDateTime, nullable=False),
    Column("first_contact_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("overdue_reported_at", UTCDateTime),
    Column("erased_at", UTCDateTime),
    Column("version", Integer, nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("help_requests_by_status", "status", "received_at"),
    Index("help_requests_awaiting_contact", "first_contact_at", "first_contact_due"),
)

consents = Table(  # what the resident agreed to at intake; a member's consents live at the members service
    "consents", metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), ForeignKey("help_requests.id"), nullable=False, index=True),
    Column("purpose", String(32), nullable=False),  # share_for_referral | contact_phone | contact_email
    Column("how", String(16), nullable=False),
    Column("given_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime),
    Column("recorded_by", String(100), nullable=False),
)

transitions = Table(  # every change of status: who, when, why
    "transitions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(36), ForeignKey("help_requests.id"), nullable=False, index=True),
    Column("action", String(24), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by", String(100), nullable=False),
    Column("reason", Text),
)

referrals = Table(  # both sides keep one row per referral, with what was shared
    "referrals", metadata,
    Column("id", String(36), primary_key=True),
    Column("request_id", String(36), ForeignKey("help_requests.id"), nullable=False, index=True),
    Column("direction", String(8), nullable=False),  # outgoing | incoming
    Column("partner", String(32), nullable=False),  # the other side
    Column("other_request_id", String(36)),  # the request at the other side
    Column("offer_id", String(36)),
    Column("volunteer_id", String(36)),  # or: for one of the other partner's volunteers (their member id)
    Column("with_consent", Boolean, nullable=False),
    Column("shared", String(100), nullable=False, default=""),  # question,name,phone,email
    # outgoing: sending | sent | accepted | declined | cancelling | cancelled (taken back); incoming: sent …
    Column("status", String(16), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("sent_by", String(100), nullable=False),
    Column("outcome_at", UTCDateTime),
    Column("contact", JSON),  # without consent: how the resident reaches the other partner
)

outbox = outbox_table(metadata)
applied_events = tracking_table(metadata)  # referral outcomes from other partners, applied once
parked_events = parked_table(metadata)  # events given up on: samen030 parked

PERSONAL_FIELDS = ("question", "name", "phone", "email")
