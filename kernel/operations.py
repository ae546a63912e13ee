"""Every call one of a partner's services makes to another service, named by the scope of its token:
the service that receives it, the one endpoint the scope opens there, and who may make it (a service
of the same partner, or another partner's). A service token opens nothing else (kernel/auth.py)."""
from dataclasses import dataclass

SAME_PARTNER, OTHER_PARTNER = "same partner", "another partner"


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    rule: str  # the endpoint's URL rule, as the receiving Flask app names it
    callers: str


OPERATIONS = {
    # the requests service asks its own partner's members service
    "member.check": Operation("members", "GET", "/members/<member_id>", SAME_PARTNER),
    "member.consent": Operation("members", "GET", "/members/<member_id>/consents/<purpose>", SAME_PARTNER),
    "volunteers.suggest": Operation("members", "GET", "/volunteer-suggestions", SAME_PARTNER),
    # every service of a partner asks its members service whether a staff account still stands
    "account.status": Operation("members", "GET", "/accounts/<account_id>/status", SAME_PARTNER),
    # the members service gathers a member's requests into the member's AVG export
    "requests.export": Operation("requests", "GET", "/members/<member_id>/requests", SAME_PARTNER),
    # one partner's requests service hands a referral to another's, and takes it back when it cannot complete
    "referral.handover": Operation("requests", "POST", "/incoming-referrals", OTHER_PARTNER),
    "referral.cancel": Operation("requests", "POST", "/incoming-referrals/<referral_id>/cancel", OTHER_PARTNER),
}


def received_by(service: str) -> dict[str, Operation]:
    return {scope: op for scope, op in OPERATIONS.items() if op.service == service}
