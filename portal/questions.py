""""Stel je vraag": what the resident fills in, checked in plain words, and the question it becomes at
the partner's requests service (channel web, only the consents they ticked)."""
import re
from collections import Counter

from flask import current_app

from samen030.kernel.geography import buurten

from . import city_api, labels, places
from .i18n import current, gettext as _

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,30}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ANY_PARTNER = ""  # "the organisation of my buurt": the portal chooses


class QuestionForm:
    def __init__(self, values: dict, consents: list[str], partners: dict):
        self.values, self.consents, self.partners, self.errors = values, consents, partners, {}

    @classmethod
    def of(cls, source, partners: dict) -> "QuestionForm":
        values = {name: (source.get(name) or "").strip() for name in
                  ("aanbod", "organisatie", "onderwerp", "buurt", "vraag", "naam", "email", "telefoon")}
        consents = [c for c in labels.CONSENTS if c in source.getlist("toestemming")]
        return cls(values, consents, partners)

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def prefilled(self) -> "QuestionForm":
        """From an offer's page: its partner, its subject, its buurt."""
        if self.aanbod:
            try:
                offer = city_api.offer(self.aanbod)
            except (city_api.PeerUnavailable, city_api.PeerRefused):
                offer = None
            if offer:
                self.values |= {"organisatie": offer["partner"], "onderwerp": offer["category"],
                                "buurt": self.buurt or places.name_of({"buurt": offer["buurt"]})}
        return self

    def valid(self) -> bool:
        v, e = self.values, self.errors
        if not v["vraag"]:
            e["vraag"] = _("Schrijf je vraag op. Een paar zinnen is genoeg.")
        elif len(v["vraag"]) > 4000:
            e["vraag"] = _("Je vraag is te lang. Gebruik hoogstens 4000 tekens.")
        if v["onderwerp"] not in labels.CATEGORIES:
            e["onderwerp"] = _("Kies waar je vraag over gaat.")
        if self.buurt_code() is None:
            e["buurt"] = _("Kies de buurt waar je woont uit de lijst.")
        if v["organisatie"] != ANY_PARTNER and v["organisatie"] not in self.partners:
            e["organisatie"] = _("Kies een organisatie uit de lijst.")
        if len(v["naam"]) > 200:
            e["naam"] = _("Je naam is te lang. Gebruik hoogstens 200 tekens.")
        if v["email"] and (not EMAIL.match(v["email"]) or len(v["email"]) > 200):
            e["email"] = _("Vul een e-mailadres in zoals naam@voorbeeld.nl.")
        if v["telefoon"] and not PHONE.match(v["telefoon"]):
            e["telefoon"] = _("Vul een telefoonnummer in met alleen cijfers, zoals 06 12345678.")
        if "contact_email" in self.consents and not v["email"]:
            e.setdefault("email", _("Vul je e-mailadres in als we je mogen e-mailen."))
        if "contact_phone" in self.consents and not v["telefoon"]:
            e.setdefault("telefoon", _("Vul je telefoonnummer in als we je mogen bellen."))
        for name, value in v.items():
            if CONTROL.search(value):
                e.setdefault(name, _("Hier staat een teken in dat we niet kunnen lezen. Typ het opnieuw."))
        return not e

    def buurt_code(self) -> str | None:
        found = places.names().get(places.plain(self.buurt))
        return found[1].get("buurt") if found else None

    def reachable(self) -> bool:
        return ("contact_email" in self.consents) or ("contact_phone" in self.consents)

    def partner_for(self) -> str:
        """The partner the resident chose, or the one with the most aanbod in their buurt (then wijk);
        the city cooperative where the buurt has none."""
        if self.organisatie:
            return self.organisatie
        code = self.buurt_code()
        for area in ({"buurt": code}, {"wijk": buurten()[code].wijk_code}):
            try:
                counts = Counter(o["partner"] for o in city_api.offers_in(area) if o["partner"] in self.partners)
            except (city_api.PeerUnavailable, city_api.PeerRefused):
                break
            if counts:
                return counts.most_common(1)[0][0]
        fallback = current_app.config.get("PORTAL_FALLBACK_PARTNER", "samen030")
        return fallback if fallback in self.partners else next(iter(self.partners))

    def question(self) -> dict:
        v = self.values
        return {"category": v["onderwerp"], "buurt": self.buurt_code(), "question": v["vraag"],
                "name": v["naam"] or None, "email": v["email"] or None, "phone": v["telefoon"] or None,
                "languages": [current().language if len(current().language) == 2 else "nl"],
                "consents": self.consents}
