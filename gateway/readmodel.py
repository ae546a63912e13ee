"""The gateway's combined read model, built only from the partners' events."""
from sqlalchemy import JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Text

from samen030.kernel.consumer import parked_table, tracking_table
from samen030.kernel.database import UTCDateTime

metadata = MetaData()

offers = Table(
    "offers", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("category", String(64), nullable=False),
    Column("buurt", String(10), nullable=False),
    Column("wijk", String(8), nullable=False),
    Column("status", String(32), nullable=False),
    Column("terms", String(400), nullable=False, default=""),  # comma-separated sub-term codes
    Column("areas", String(400), nullable=False, default=""),  # other buurt/wijk codes it serves
    Column("languages", String(200), nullable=False, default="nl"),  # comma-separated ISO 639-1 codes
    Column("free", Boolean, nullable=False, default=True),
    Column("minimum_age", Integer),
    Column("maximum_age", Integer),
    Column("location_buurten", String(400), nullable=False, default=""),
    Column("virtual", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # One index per filter, in the order a page is read, so a page never sorts all matches.
    *(Index(f"offers_page_by_{column}", column, "status", "name", "id")
      for column in ("wijk", "buurt", "category", "partner")),
    Index("offers_page_by_wijk_category", "wijk", "category", "status", "name", "id"),
    Index("offers_page", "status", "name", "id"),
)
FACETS_INDEX = Index("offers_facets", offers.c.status, offers.c.category, offers.c.wijk)  # counted from the index

opening_hours = Table(
    "opening_hours", metadata,
    Column("offer_id", String(36), primary_key=True),
    Column("day", String(2), primary_key=True),  # iCal weekday: MO … SU
    Column("opens_at", String(5), primary_key=True),  # HH:MM, Europe/Amsterdam
    Column("closes_at", String(5), nullable=False),
    Index("opening_hours_by_day", "day", "opens_at", "closes_at", "offer_id"),
)

places = Table(  # where an offer is given, as far as events say: a buurt, or online
    "places", metadata,
    Column("id", String(36), primary_key=True),  # also its HSDS service_at_location id
    Column("offer_id", String(36), nullable=False, index=True),
    Column("buurt", String(10)),  # None: online
)

listed_volunteers = Table(  # other partners' volunteers who agreed to be suggested (member.listed): codes, no person
    "listed_volunteers", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner", String(32), nullable=False),
    Column("sequence", Integer, nullable=False),  # of the last listing applied: a later one wins, whatever the order
    Column("listed", Boolean, nullable=False),  # False: unlisted or erased; the row stays, without a profile
    Column("erased", Boolean, nullable=False, default=False),  # for good
    Column("buurt", String(10)),
    Column("wijk", String(8)),
    Column("skills", String(400), nullable=False, default=""),  # comma-separated taxonomy term codes
    Column("languages", String(200), nullable=False, default=""),
    Column("availability", JSON, nullable=False, default=list),  # [{byday, from, until}]
    Index("listed_volunteers_by_wijk", "wijk", "listed"),
)

member_counts = Table(  # each partner's latest counts (counts.changed): the member figures
    "member_counts", metadata,
    Column("partner", String(32), primary_key=True),
    Column("sequence", Integer, nullable=False),  # a later one wins, whatever the order
    Column("counted_at", UTCDateTime, nullable=False),
    Column("members", JSON, nullable=False),  # [{wijk, kind, count}]
    Column("volunteer_capacity", JSON, nullable=False),  # [{wijk, category, volunteers}]
)

members = Table(  # every member as the earlier release's member events described them (member_figures.py):
    "members", metadata,  # a partner's rows count until its first counts event, which removes them
    Column("id", String(36), primary_key=True),
    Column("partner", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("wijk", String(8)),
    Column("membership_status", String(16), nullable=False),
    Column("skills", String(400), nullable=False, default=""),  # comma-separated taxonomy term codes
    Column("erased", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False),
    # no longer kept: the profile (buurt, languages, availability) of members who may not have agreed
    Column("buurt", String(10)),
    Column("languages", String(200), nullable=False, default="nl"),
    Column("availability", JSON, nullable=False, default=list),
)

help_requests = Table(  # the partners' help requests as their events describe them: codes and times only
    "help_requests", metadata,
    Column("id", String(36), primary_key=True),
    Column("partner", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("origin", String(16), nullable=False),  # intake | referral
    Column("channel", String(16), nullable=False),
    Column("category", String(64), nullable=False),
    Column("buurt", String(10), nullable=False),
    Column("wijk", String(8), nullable=False),
    Column("urgency", String(8), nullable=False),
    Column("referral_id", String(36)),  # set when it arrived as a referral from partner referred_by
    Column("referred_by", String(32)),
    Column("referral_outcome", String(16)),  # accepted | declined, kept whatever order the events come in
    Column("referral_outcome_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    Column("first_contact_due", UTCDateTime, nullable=False),
    Column("first_contact_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    # durations in whole seconds, so that the figures need no date arithmetic (which SQL dialects differ in)
    Column("seconds_to_first_contact", Integer),
    Column("seconds_to_resolution", Integer),
    Column("version", Integer, nullable=False),
    # the figures read a period's rows through these, counting from the index alone where they can
    Index("help_requests_by_received", "received_at", "wijk", "buurt", "category", "partner"),
    Index("help_requests_by_referral", "referral_id"),
)

referrals = Table(  # hand-overs from one partner's request to another's; the outcome comes from the receiver
    "referrals", metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("from_partner", String(32), nullable=False),
    Column("to_partner", String(32), nullable=False),
    Column("request_id", String(36), nullable=False),  # the referring partner's request
    Column("to_request_id", String(36), nullable=False),  # the receiving partner's request
    Column("offer_id", String(36)),
    Column("with_consent", Boolean, nullable=False),
    Column("category", String(64), nullable=False),
    Column("buurt", String(10), nullable=False),
    Column("wijk", String(8), nullable=False),
    Column("urgency", String(8), nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("outcome", String(16)),  # None (pending) | accepted | declined
    Column("outcome_at", UTCDateTime),
    Index("referrals_by_sent", "sent_at"),
)

partner_status = Table(
    "partner_status", metadata,
    Column("partner", String(32), primary_key=True),
    Column("last_event_at", UTCDateTime, nullable=False),
    Column("last_applied_at", UTCDateTime, nullable=False),
    Column("events_applied", Integer, nullable=False),
)

# Byte order on PostgreSQL too, so that a range `term >= 'huis' AND term < 'huit'` is exactly the
# terms starting with "huis" (a language collation may order them otherwise).
SEARCH_TERM = String(40).with_variant(String(40, collation="C"), "postgresql")

offer_terms = Table(
    "offer_terms", metadata,
    Column("offer_id", String(36), primary_key=True),
    Column("field", String(16), primary_key=True),  # "name" or "description"
    Column("term", SEARCH_TERM, primary_key=True),  # samen030.kernel.dutch.terms() of the field
    Column("reversed", SEARCH_TERM, nullable=False),  # the term backwards: "huis" finds "buurthuis"
    # The offer's filters, copied, so a search filters and counts its facets without reading offers.
    Column("wijk", String(8), nullable=False),
    Column("category", String(64), nullable=False),
    Column("buurt", String(10), nullable=False),
    Column("partner", String(32), nullable=False),
    *(Index(f"offer_terms_by_{column}", column, "wijk", "category", "field", "offer_id")
      for column in ("term", "reversed")),
    sqlite_with_rowid=False,
)

search_index_version = Table(
    "search_index_version", metadata,
    Column("name", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
)

applied_events = tracking_table(metadata)
parked_events = parked_table(metadata)  # events given up on: samen030 parked
