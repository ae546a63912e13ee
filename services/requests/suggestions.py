"""What fits a request, gathered for its coordinator: offers of the whole city (the gateway's read
model), the partner's own volunteers (its members service: named, they are the partner's own people),
and other partners' volunteers in the wijk as anonymous profiles (the gateway). Offers are needed;
volunteers are added when their source answers, with a note when it does not."""
from . import peers


class NoAnswer(Exception):
    pass


def for_request(partner: str, request: dict) -> dict:
    question = {"category": request["category"], "buurt": request["buurt"], "languages": ",".join(request["languages"])}
    if request["terms"]:
        question["terms"] = ",".join(request["terms"])
    gateway = peers.federation().gateway_url
    offers = _items("GET", f"{gateway}/api/v1/suggestions", partner, "de gateway", question)
    answer = {"request_id": request["id"], "offers": offers, "volunteers": [], "volunteers_elsewhere": [], "notes": []}
    sources = [("volunteers", peers.service_url(partner, "members"), "/volunteer-suggestions",
                f"de ledenadministratie van {partner}", question),
               ("volunteers_elsewhere", gateway, "/api/v1/suggestions/volunteers", "de gateway",
                {**question, "exclude_partner": partner})]
    for key, base, path, what, params in sources:
        if base is None:
            continue
        try:
            answer[key] = _items("GET", base + path, partner, what, params)
        except (peers.PeerUnavailable, peers.PeerRefused, NoAnswer) as exc:
            answer["notes"].append(f"Geen vrijwilligers van {what}: {exc}")
    return answer


def _items(method: str, url: str, partner: str, what: str, params: dict) -> list[dict]:
    answer = peers.call(method, url, partner, what, params=params)
    if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
        raise NoAnswer(f"{what} gaf geen suggesties (answered no suggestions).")
    return answer["items"]
