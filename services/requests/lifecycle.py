"""The life of a help request, as an explicit state machine.

    received ──triage──▶ triaged ──refer──▶ referred ──(the other partner accepts)──▶ accepted ──close──▶ closed
       │                   │  ▲                 └─────(the other partner declines)──▶ declined ──refer──▶ referred
       │                   │  └──────── (start / resolve / close from declined) ◀───────┘
       ├──start──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
       │                ▲                      │
       │                └───────reopen─────────┘
       └─ (a referral that arrived here) ──accept──▶ accepted ──start──▶ in_progress …   or ──decline──▶ declined

    withdraw: from every open state to withdrawn (the resident no longer wants help).

`received`     taken in, nobody has been in touch yet (the first-contact deadline runs)
`triaged`      a coordinator was in touch and knows what is needed
`referred`     handed over to another partner's offer; waiting for their answer
`accepted`     here: we took on a referral from another partner; at the referrer: they took it on
`declined`     here: we declined a referral; at the referrer: they declined, refer again or help yourself
`in_progress`  someone is helping
`resolved`     the help was given; `closed` after a check-back; `withdrawn` the resident stopped

`referral_accepted` and `referral_declined` are not API actions: they follow the other partner's
answer, which arrives as its event on the bus."""
from dataclasses import dataclass

STATUSES = ("received", "triaged", "referred", "accepted", "declined", "in_progress", "resolved", "closed",
            "withdrawn")
OPEN = ("received", "triaged", "referred", "accepted", "declined", "in_progress", "resolved")
FINAL = ("closed", "withdrawn")

# (action, from status) → to status; `incoming` marks moves only a request that arrived as a referral
# may make, `own` those only a request taken in here may make.
TRANSITIONS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("triage", "received"): ("triaged", "own"),
    ("start", "received"): ("in_progress", "own"),
    ("accept", "received"): ("accepted", "incoming"),
    ("decline", "received"): ("declined", "incoming"),
    ("refer", "triaged"): ("referred", "own"),
    ("start", "triaged"): ("in_progress", None),
    ("resolve", "triaged"): ("resolved", None),
    ("referral_accepted", "referred"): ("accepted", "own"),
    ("referral_declined", "referred"): ("declined", "own"),
    ("start", "accepted"): ("in_progress", "incoming"),
    ("close", "accepted"): ("closed", "own"),
    ("refer", "declined"): ("referred", "own"),
    ("start", "declined"): ("in_progress", "own"),
    ("close", "declined"): ("closed", None),
    ("resolve", "in_progress"): ("resolved", None),
    ("close", "resolved"): ("closed", None),
    ("reopen", "resolved"): ("in_progress", None),
    **{("withdraw", status): ("withdrawn", None) for status in OPEN},
}
API_ACTIONS = ("triage", "start", "accept", "decline", "refer", "resolve", "reopen", "close", "withdraw")
BUS_ACTIONS = ("referral_accepted", "referral_declined")
# Moves that count as the first contact with the resident (the first-contact deadline stops).
FIRST_CONTACT = {"triage", "start", "accept"}

LABELS = {"received": "ontvangen", "triaged": "uitgevraagd", "referred": "doorverwezen", "accepted": "aangenomen",
          "declined": "afgewezen", "in_progress": "in behandeling", "resolved": "opgelost", "closed": "afgesloten",
          "withdrawn": "ingetrokken"}


class InvalidTransition(Exception):
    """Why the request cannot make this move now (Dutch, with English)."""


@dataclass(frozen=True)
class Move:
    action: str
    from_status: str
    to_status: str


def next_status(action: str, status: str, incoming: bool) -> Move:
    if action not in API_ACTIONS + BUS_ACTIONS:
        raise InvalidTransition(f"Onbekende handeling {action[:40]!r} (unknown action); "
                                f"mogelijk: {', '.join(API_ACTIONS)}.")
    rule = TRANSITIONS.get((action, status))
    if rule is None or rule[1] == ("own" if incoming else "incoming"):
        allowed = ", ".join(possible_actions(status, incoming)) or "geen (none)"
        raise InvalidTransition(
            f"Een hulpvraag met status {LABELS[status]!r} kan niet {action!r}; nu mogelijk: {allowed} "
            f"(a request that is {status} cannot {action!r}; possible now: {allowed}).")
    return Move(action, status, rule[0])


def possible_actions(status: str, incoming: bool) -> list[str]:
    side = "own" if incoming else "incoming"  # the side whose moves are excluded
    return [action for (action, from_status), (_to, only) in TRANSITIONS.items()
            if from_status == status and only != side and action in API_ACTIONS]
