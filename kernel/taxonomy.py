"""The SAMEN030 taxonomy: one shared list of what partners offer and residents ask, Dutch first.

Top-level codes are the categories every offer and question is filed under; sub-terms say more.
Ids are stable UUIDs derived from the codes, so every partner and the gateway give the same ids."""
import uuid
from dataclasses import dataclass

NAMESPACE = uuid.UUID("6f1c2d8e-3b0a-4c59-9a57-5a3b0d3e0300")
TAXONOMY_ID = str(uuid.uuid5(NAMESPACE, "taxonomy:samen030"))
TAXONOMY_NAME = "SAMEN030 sociale kaart"
TAXONOMY_DESCRIPTION = ("De gedeelde indeling van vragen en aanbod van de Utrechtse bewonersorganisaties "
                        "(The shared classification of questions and offers of Utrecht's residents' organisations).")


@dataclass(frozen=True)
class Term:
    code: str
    label_nl: str
    label_en: str
    parent: str | None = None

    @property
    def id(self) -> str:
        return str(uuid.uuid5(NAMESPACE, f"term:{self.code}"))

    @property
    def parent_id(self) -> str | None:
        return TERMS[self.parent].id if self.parent else None

    @property
    def description(self) -> str:
        return f"{self.label_nl} ({self.label_en})"


def _tree(spec: dict) -> dict[str, Term]:
    terms = {}
    for (code, nl, en), children in spec.items():
        terms[code] = Term(code, nl, en)
        terms.update({c: Term(c, cnl, cen, code) for c, cnl, cen in children})
    return terms


TERMS: dict[str, Term] = _tree({
    ("informatie", "Informatie en advies", "Information and advice"): [
        ("inloopspreekuur", "Inloopspreekuur en wijkinformatiepunt", "Walk-in information hours"),
        ("geldzaken", "Geldzaken, toeslagen en formulieren", "Money matters, benefits and forms"),
        ("digitale-hulp", "Digitale hulp", "Digital help"),
        ("taal", "Taal en Nederlands oefenen", "Language and practising Dutch"),
    ],
    ("praktische-hulp", "Praktische hulp", "Practical help"): [
        ("klussen", "Klussen in en om het huis", "Odd jobs in and around the house"),
        ("vervoer-boodschappen", "Vervoer en boodschappen", "Transport and shopping"),
        ("repaircafe", "Repair café", "Repair café"),
    ],
    ("welzijn-ontmoeten", "Welzijn, ontmoeten en samen doen", "Welfare, meeting and doing things together"): [
        ("buurtwerkkamer", "Buurtwerkkamer: huiskamer van de buurt", "Neighbourhood living room"),
        ("activiteiten", "Activiteiten en samen doen", "Activities and doing things together"),
        ("maaltijden", "Buurtmaaltijden", "Community meals"),
        ("groen", "Tuinieren en groen", "Gardening and green spaces"),
    ],
    ("lichte-zorg", "Lichte zorg en gezondheid", "Light care and health"): [
        ("ervaringsdeskundigen", "Steun van ervaringsdeskundigen", "Peer support by experience experts"),
        ("clientondersteuning", "Cliëntondersteuning in de zorg", "Client support in care"),
        ("mantelzorg", "Steun voor mantelzorgers", "Support for informal carers"),
        ("bewegen", "Bewegen en gezond leven", "Exercise and healthy living"),
    ],
    ("werk-ondernemen", "Werk en ondernemen", "Work and entrepreneurship"): [
        ("ondernemerskring", "Ondernemerskring", "Entrepreneurs' circle"),
        ("werkervaring", "Werkervaring en leerwerkplekken", "Work experience and training places"),
        ("vrijwilligerswerk", "Vrijwilligerswerk", "Volunteering"),
    ],
    ("buurtzaken", "Buurtzaken", "Neighbourhood affairs"): [
        ("zelfbeheer", "Accommodatie in zelfbeheer", "Self-managed accommodation"),
        ("bewonersinitiatief", "Bewonersinitiatieven", "Residents' initiatives"),
        ("meebeslissen", "Buurtbudget en meebeslissen", "Neighbourhood budget and participation"),
    ],
})

CATEGORIES: dict[str, tuple[str, str]] = {t.code: (t.label_nl, t.label_en) for t in TERMS.values() if not t.parent}
TERMS_BY_ID: dict[str, Term] = {t.id: t for t in TERMS.values()}


def categories_of(codes) -> set[str]:
    """The categories the known term codes fall in (a category is its own)."""
    return {TERMS[code].parent or code for code in codes if code in TERMS}


def sub_terms(category: str) -> list[str]:
    return [t.code for t in TERMS.values() if t.parent == category]
