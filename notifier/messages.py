"""The Dutch texts of the notifier's mails. Pure functions of what the events carry (codes, areas,
times) and the partners' names: no personal data, because the events hold none."""
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from samen030.kernel.geography import UnknownArea, buurt
from samen030.kernel.taxonomy import CATEGORIES

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
URGENCY = {"high": "hoog", "normal": "normaal", "low": "laag"}
DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")
SIGNATURE = ("Met vriendelijke groet,\nSAMEN030, de stadscoöperatie van Utrechtse bewonersorganisaties\n\n"
             "-- \nDit bericht is automatisch verstuurd; er staan bewust geen persoonsgegevens in.\n"
             "(An automatic message from SAMEN030, the city cooperative of Utrecht's residents' "
             "organisations; it carries no personal data.)\n")


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def dutch_time(value: str | datetime) -> str:
    """'dinsdag 3 december 2024 om 14:30', in Utrecht's time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(AMSTERDAM)
    return f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year} om {local:%H:%M}"


def category_label(code: str) -> str:
    return CATEGORIES.get(code, (code, code))[0]


def area_label(buurt_code: str) -> str:
    try:
        area = buurt(buurt_code)
    except UnknownArea:
        return buurt_code
    return f"{area.name} ({area.wijk_name})"


def urgency_label(code: str) -> str:
    return URGENCY.get(code, code)


def _facts(data: dict, *extra: tuple[str, str]) -> str:
    rows = [("Categorie", category_label(data["category"])), ("Buurt", area_label(data["buurt"])),
            ("Urgentie", urgency_label(data["urgency"])), *extra]
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"  {label + ':':<{width}}{value}" for label, value in rows)


def _link(link: str | None, what: str) -> str:
    return f"{what}:\n{link}\n\n" if link else ""


def referral_received(to_name: str, from_name: str, data: dict, link: str | None) -> Mail:
    """To B's coordinators: A referred a help request to B."""
    body = (f"Beste coördinatoren van {to_name},\n\n"
            f"{from_name} heeft een hulpvraag naar u doorverwezen.\n\n"
            + _facts(data, ("Eerste contact", f"uiterlijk {dutch_time(data['first_contact_due'])}")) + "\n\n"
            + _link(link, "Bekijk de hulpvraag (alleen voor uw coördinatoren)")
            + f"Neem op tijd contact op met de bewoner, of wijs de doorverwijzing af zodat {from_name} "
              "samen met de bewoner iets anders kan zoeken.\n\n"
            "(English: a help request was referred to you; open the link to accept or decline it.)\n\n"
            + SIGNATURE)
    return Mail(f"Nieuwe doorverwijzing van {from_name}", body)


def referral_outcome(to_name: str, by_name: str, accepted: bool, data: dict, link: str | None) -> Mail:
    """To A's coordinators: B accepted or declined A's referral."""
    verb = "aangenomen" if accepted else "afgewezen"
    body = (f"Beste coördinatoren van {to_name},\n\n"
            f"{by_name} heeft uw doorverwijzing {verb} op {dutch_time(data['at'])}.\n\n"
            + _facts(data, ("Doorverwijzing", data.get("referral_id") or "-")) + "\n\n"
            + _link(link, "Uw hulpvraag")
            + (f"{by_name} neemt contact op met de bewoner; u hoeft niets te doen.\n\n" if accepted else
               "De hulpvraag ligt weer bij u: zoek samen met de bewoner een ander aanbod.\n\n")
            + f"(English: {by_name} {'accepted' if accepted else 'declined'} your referral.)\n\n"
            + SIGNATURE)
    return Mail(f"{by_name} heeft uw doorverwijzing {verb}", body)


def overdue_reminder(to_name: str, data: dict, link: str | None) -> Mail:
    """To a partner's coordinators: a request's first contact is overdue."""
    body = (f"Beste coördinatoren van {to_name},\n\n"
            f"Bij deze hulpvraag is nog geen eerste contact vastgelegd, terwijl dat uiterlijk "
            f"{dutch_time(data['first_contact_due'])} had moeten gebeuren.\n\n"
            + _facts(data) + "\n\n"
            + _link(link, "Bekijk de hulpvraag")
            + "Neem zo snel mogelijk contact op met de bewoner en leg het contact vast.\n\n"
            "(English: reminder: first contact with this request is overdue.)\n\n"
            + SIGNATURE)
    return Mail("Herinnering: eerste contact is over tijd", body)
