"""Demo help requests for `samen030 run`: questions taken in at several partners, one referred with
the resident's consent and accepted, one referred without consent, one overdue-to-be. The residents
are made up."""
import time

import requests as http

from samen030.kernel.auth import issue_token

QUESTIONS = {
    "wijkinformatiepunt": [
        {"channel": "walk_in", "category": "lichte-zorg", "terms": ["ervaringsdeskundigen"], "buurt": "BU03440832",
         "urgency": "normal", "question": "Ik zorg al jaren voor mijn broer en loop vast; ik wil praten met iemand "
                                          "die dat kent.", "name": "Demo Bewoner Een", "phone": "06 00000001",
         "consents": [{"purpose": "share_for_referral", "how": "mondeling"},
                      {"purpose": "contact_phone", "how": "mondeling"}], "_refer": "accept"},
        {"channel": "phone", "category": "lichte-zorg", "buurt": "BU03440831", "urgency": "low",
         "question": "Wat kan ik doen tegen eenzaamheid?", "_refer": "pending"},
        {"channel": "walk_in", "category": "informatie", "terms": ["geldzaken"], "buurt": "BU03440832",
         "urgency": "high", "question": "Ik krijg een brief over mijn toeslag die ik niet begrijp.",
         "name": "Demo Bewoner Twee"},
    ],
    "krachtstation": [
        {"channel": "web", "category": "werk-ondernemen", "terms": ["werkervaring"], "buurt": "BU03440821",
         "urgency": "normal", "question": "Ik zoek een leerwerkplek in de buurt."},
    ],
    "buurtwerkkamer": [
        {"channel": "email", "category": "welzijn-ontmoeten", "terms": ["maaltijden"], "buurt": "BU03440411",
         "urgency": "low", "question": "Is er een buurtmaaltijd waar ik kan aanschuiven?", "email": "demo@example.nl",
         "consents": [{"purpose": "contact_email", "how": "online"}]},
    ],
}
TARGET = ("powerbypeers", "ervaringsdeskundigen")


def load_demo_requests(federation, gateway_url: str, log=print, timeout: float = 30) -> int:
    """Take in the demo questions (only at partners without requests yet) and make the referrals."""
    created = 0
    for partner_id, questions in QUESTIONS.items():
        partner = federation.partners.get(partner_id)
        if partner is None or "requests" not in partner.services:
            continue
        url, headers = partner.url("requests") + "/requests", _auth(partner_id)
        if http.get(url, params={"per_page": 1}, headers=headers, timeout=5).json()["total_items"]:
            continue
        for question in questions:
            refer = question.get("_refer")
            body = {k: v for k, v in question.items() if not k.startswith("_")}
            request = _ok(http.post(url, json=body, headers=headers, timeout=5))
            created += 1
            if refer and (offer := _target_offer(gateway_url, timeout)) and TARGET[0] in federation.partners:
                _refer(federation, partner_id, url, request["id"], offer, refer)
        log(f"  demo: {len(questions)} help requests at {partner_id}")
    return created


def _refer(federation, partner_id: str, url: str, request_id: str, offer: dict, outcome: str) -> None:
    headers = _auth(partner_id)
    _ok(http.post(f"{url}/{request_id}/triage", json={"reason": "Demo: vraag uitgevraagd."}, headers=headers, timeout=5))
    referral = _ok(http.post(f"{url}/{request_id}/refer", json={"offer_id": offer["id"]}, headers=headers, timeout=10))
    if outcome == "accept":
        theirs = federation.partner(TARGET[0]).url("requests") + f"/requests/{referral['other_request_id']}/accept"
        _ok(http.post(theirs, json={"reason": "Demo: wij bellen deze week."}, headers=_auth(TARGET[0]), timeout=5))


def _target_offer(gateway_url: str, timeout: float) -> dict | None:
    """Power by Peers' peer-support offer, once the gateway has it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = http.get(f"{gateway_url}/api/v1/offers", params={"partner": TARGET[0], "category": "lichte-zorg"},
                         timeout=5).json()["items"]
        if matching := [o for o in found if TARGET[1] in o["terms"]] or found:
            return matching[0]
        time.sleep(0.2)
    return None


def _auth(partner_id: str) -> dict:
    return {"Authorization": f"Bearer {issue_token(partner_id, 'coordinator', f'demo-{partner_id}')}"}


def _ok(response) -> dict:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"demo request refused: {response.status_code} {response.text[:300]}")
    return response.json()
