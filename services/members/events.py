"""The members service's events: ids, categories, areas, statuses and times only — never a name,
contact detail, address, postcode, birth date, membership number or trade."""
from datetime import datetime

from samen030.kernel.events import Event, new_event


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def member_event(partner: str, action: str, member: dict) -> Event:
    data = {
        "member_id": member["id"], "type": member["type"], "kind": member["kind"],
        "buurt": member.get("buurt"), "wijk": member.get("wijk"),
        "membership_status": member["membership_status"], "role": member["role"],
        "skills": member.get("skills") or [],
        "availability": [{"byday": w["byday"], "from": w["from"], "until": w["until"]}
                         for w in member.get("availability") or []],
        "languages": member.get("languages") or [], "version": member["version"],
        "updated_at": _utc(member["updated_at"]),
    }
    return new_event(partner, "members", "member", action, member["id"], data)


def erased_event(partner: str, member_id: str, at: datetime) -> Event:
    return new_event(partner, "members", "member", "erased", member_id, {"member_id": member_id, "erased_at": _utc(at)})


def consent_event(partner: str, action: str, consent: dict, at: datetime) -> Event:
    data = {"member_id": consent["member_id"], "consent_id": consent["id"], "purpose": consent["purpose"],
            "at": _utc(at)}
    return new_event(partner, "members", "consent", action, consent["id"], data)
