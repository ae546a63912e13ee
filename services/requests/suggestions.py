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
    offers = _items(peers.read_public(f"{gateway}/api/v1/suggestions", "de gateway", question), "de gateway")
    answer = {"request_id": request["id"], "offers": offers, "volunteers": [], "volunteers_elsewhere": [], "notes": []}
    sources = {"volunteers": (f"de ledenadministratie van {partner}", lambda what: peers.call(
                   "volunteers.suggest", partner, partner, "/volunteer-suggestions", what, params=question)),
               "volunteers_elsewhere": ("de gateway", lambda what: peers.read_public(
                   f"{gateway}/api/v1/suggestions/volunteers", what, {**question, "exclude_partner": partner}))}
    if peers.service_url(partner, "members") is None:
        del sources["volunteers"]
    for key, (what, ask) in sources.items():
        try:
            answer[key] = _items(ask(what), what)
        except (peers.PeerUnavailable, peers.PeerRefused, NoAnswer) as exc:
            answer["notes"].append(f"Geen vrijwilligers van {what}: {exc}")
    return answer


def _items(answer: dict | None, what: str) -> list[dict]:
    if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
        raise NoAnswer(f"{what} gaf geen suggesties (answered no suggestions).")
    return answer["items"]
