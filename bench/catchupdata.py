"""A partner's day of events, mixed as a catch-up meets them (bench/catchup.py): offers created and then
updated several times (each version a whole offer), help requests received and changed, volunteers
listed, and the partners' counts — each built by its service's own event function (new_event, schema
and privacy checks included)."""
import random
import uuid
from datetime import datetime, timedelta, timezone

from citydata import directory_offer

from samen030.directory.events import offer_event
from samen030.kernel.events import Event
from samen030.kernel.geography import buurten
from samen030.members.events import counts_event, listed_event
from samen030.helprequests.events import request_event

PARTNERS = ["krachtstation", "buurtwerkkamer", "wijkinformatiepunt", "powerbypeers", "zorgbelang"]


def mixed_events(count: int, partners: list[str] = PARTNERS, seed: int = 11) -> list[Event]:
    """`count` events: ~45% offers (a third of them new, the rest later versions of one made before),
    ~35% help requests (received, then changed), ~15% volunteers listed, ~5% counts."""
    rng = random.Random(seed)
    areas = [buurten()[code] for code in sorted(buurten())]
    offers: list[tuple[str, dict]] = []
    requests: list[tuple[str, dict]] = []
    sequence = dict.fromkeys(partners, 0)
    events = []
    while len(events) < count:
        partner, pick = rng.choice(partners), rng.random()
        if pick < 0.45:
            if offers and rng.random() < 0.67:
                partner, offer = rng.choice(offers)
                offer.update(version=offer["version"] + 1, updated_at=datetime.now(timezone.utc),
                             status=rng.choice(["active", "active", "active", "inactive"]))
                events.append(offer_event(partner, "updated", offer))
            else:
                offer = directory_offer(rng, areas)
                offers.append((partner, offer))
                events.append(offer_event(partner, "created", offer))
        elif pick < 0.80:
            if requests and rng.random() < 0.5:
                partner, request = rng.choice(requests)
                request.update(version=request["version"] + 1, status="in_progress",
                               first_contact_at=request["received_at"] + timedelta(hours=rng.randrange(1, 48)))
                events.append(request_event(partner, request, "start", "received", request["first_contact_at"]))
            else:
                request = _request(rng, rng.choice(areas))
                requests.append((partner, request))
                events.append(request_event(partner, request, "receive", None, request["received_at"]))
        elif pick < 0.95:
            area = rng.choice(areas)
            sequence[partner] += 1
            events.append(listed_event(partner, {
                "member_id": str(uuid.uuid4()), "buurt": area.code, "wijk": area.wijk_code,
                "skills": rng.sample(["boodschappen", "vervoer", "taal", "computerhulp", "klussen"], 2),
                "languages": ["nl"], "availability": [{"byday": "MO,WE", "from": "09:00", "until": "12:00"}]},
                sequence[partner]))
        else:
            sequence[partner] += 1
            area = rng.choice(areas)
            events.append(counts_event(partner, {
                "members": [{"wijk": area.wijk_code, "kind": "bewoner", "count": rng.randrange(1, 500)}],
                "volunteer_capacity": [{"wijk": area.wijk_code, "category": "informatie", "volunteers": 3}]},
                sequence[partner]))
    return events


def _request(rng: random.Random, area) -> dict:
    received = datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(40_000))
    return {"id": str(uuid.uuid4()), "version": 1, "status": "received", "origin": "intake",
            "channel": rng.choice(["walk_in", "phone", "web"]), "category": "informatie", "buurt": area.code,
            "wijk": area.wijk_code, "urgency": "normal", "referral_id": None, "referred_by": None,
            "received_at": received, "first_contact_due": received + timedelta(days=2), "first_contact_at": None,
            "resolved_at": None}
