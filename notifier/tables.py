"""The notifier's database (city-wide, `open_database("city", "notifier", …)`): the deliveries it owes,
the events it applied, the referrals it saw sent (ids only: the proof that a referral was made, and the
link from an outcome to the sender's request), and the notices waiting for that proof."""
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text

from samen030.kernel.consumer import parked_table, tracking_table
from samen030.kernel.database import UTCDateTime

metadata = MetaData()

PENDING, SENT, FAILED = "pending", "sent", "failed"
EMAIL, WEBHOOK = "email", "webhook"

deliveries = Table(
    "deliveries", metadata,
    Column("id", String(36), primary_key=True),  # uuid5(event id, channel + recipient): one per event and recipient
    Column("event_id", String(36), nullable=False, index=True),
    Column("event_type", String(80), nullable=False),
    Column("kind", String(24), nullable=False),  # referral_received | referral_accepted | referral_declined | overdue
    Column("partner", String(32), nullable=False),  # the partner being told
    Column("channel", String(8), nullable=False),  # email | webhook
    Column("recipient", String(500), nullable=False),  # an address, or the webhook URL
    Column("subject", String(300)),  # email
    Column("body", Text),  # email: the text; webhook: the JSON body, signed as it is stored
    Column("status", String(8), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),  # also the lease of a send in progress
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("deliveries_due", "status", "next_attempt_at"),
)

referrals_sent = Table(  # from requests.referral.sent: which request at the sender a referral came from
    "referrals_sent", metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("partner", String(32), nullable=False),  # the sender (A)
    Column("request_id", String(36), nullable=False),  # A's request
    Column("to_partner", String(32), nullable=False),  # B
)

awaiting_referral = Table(  # events naming a referral whose referral.sent has not come (yet): see waiting.py
    "awaiting_referral", metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_type", String(80), nullable=False),
    Column("partner", String(32), nullable=False),  # whose event it is (B)
    Column("referral_id", String(36), nullable=False),
    Column("referred_by", String(32), nullable=False),  # who B says referred (A): told only once A's event proves it
    Column("event", Text, nullable=False),  # the CloudEvent as it came (ids, codes and times only)
    Column("waiting_since", UTCDateTime, nullable=False),
    Index("awaiting_referral_by_referral", "referral_id"),
)

applied_events = tracking_table(metadata)
parked_events = parked_table(metadata)  # events given up on: samen030 parked
