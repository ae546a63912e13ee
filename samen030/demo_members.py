"""Demo members for `samen030 run`: a few volunteers (made up) who agreed to be suggested, so that a
help request's suggestions show volunteers of the partner and, anonymously, of other partners."""
import requests as http

from samen030.kernel.auth import issue_token

VOLUNTEERS = {
    "wijkinformatiepunt": [
        {"membership_number": "WIP-D1", "name": "Demo Vrijwilliger Anouk", "buurt": "BU03440832", "languages": ["nl", "en"],
         "skills": ["geldzaken", "digitale-hulp"], "availability": [{"byday": "MO,WE", "from": "09:00", "until": "13:00"}]},
        {"membership_number": "WIP-D2", "name": "Demo Vrijwilliger Yusuf", "buurt": "BU03440831", "languages": ["nl", "tr", "ar"],
         "skills": ["mantelzorg", "taal"], "availability": [{"byday": "TU,TH", "from": "13:00", "until": "17:00"}]},
    ],
    "powerbypeers": [
        {"membership_number": "PBP-D1", "name": "Demo Vrijwilliger Sanne", "buurt": "BU03440822", "languages": ["nl"],
         "skills": ["ervaringsdeskundigen"], "availability": [{"byday": "MO,TU,WE,TH,FR", "from": "10:00", "until": "16:00"}]},
    ],
}


def load_demo_members(federation, log=print) -> int:
    """Register the demo volunteers and their consent to be suggested, at partners without members yet."""
    created = 0
    for partner_id, volunteers in VOLUNTEERS.items():
        partner = federation.partners.get(partner_id)
        if partner is None or "members" not in partner.services:
            continue
        url = partner.url("members") + "/members"
        headers = {"Authorization": f"Bearer {issue_token(partner_id, 'coordinator', f'demo-{partner_id}')}"}
        if http.get(url, params={"per_page": 1}, headers=headers, timeout=5).json()["total_items"]:
            continue
        for volunteer in volunteers:
            body = {"type": "person", "kind": "vrijwilliger", "role": "volunteer", "membership_status": "lid", **volunteer}
            member = http.post(url, json=body, headers=headers, timeout=5)
            if member.status_code != 201:
                raise RuntimeError(f"demo member refused by {partner_id}: {member.text[:300]}")
            consent = http.post(f"{url}/{member.json()['id']}/consents", headers=headers, timeout=5,
                                json={"purpose": "volunteer_suggestions", "how": "schriftelijk"})
            if consent.status_code != 201:
                raise RuntimeError(f"demo consent refused by {partner_id}: {consent.text[:300]}")
            created += 1
        log(f"  demo: {len(volunteers)} volunteers at {partner_id}")
    return created
