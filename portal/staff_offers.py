"""The coordinators' pages for their own partner's offers (aanbod): the list (open, closed for a while,
withdrawn), a new offer, changing one, closing it for a while, opening it again and withdrawing it. Every
read and write goes to the partner's own directory service with the coordinator's token, so that service
decides; the portal keeps no database. A change is sent with the version it was made on and only the
fields changed from what the form showed: when the offer was changed meanwhile (409), the form comes back
as the new version with the coordinator's own changes on top, each beside what is stored now, to be saved
on top of the new version."""
import json
import re
import uuid
from functools import wraps

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext

from samen030.kernel.geography import buurten
from samen030.kernel.privacy import EMAIL, PHONE

from . import city_api, labels, places
from .i18n import gettext as _, spoken_language
from .residents import SPOKEN
from .staff import logged_in, out_of_reach, staff_partners

bp = Blueprint("staff_offers", __name__, url_prefix="/medewerkers/aanbod")
STATUSES = {"active": lazy_gettext("Open"), "temporarily closed": lazy_gettext("Tijdelijk gesloten"),
            "inactive": lazy_gettext("Niet actief"), "defunct": lazy_gettext("Ingetrokken")}
SECTIONS = (("active", lazy_gettext("Open")), ("temporarily closed", lazy_gettext("Tijdelijk gesloten")),
            ("inactive", lazy_gettext("Niet actief")), ("defunct", lazy_gettext("Ingetrokken")))
ACTIONS = {  # path in the portal → (the directory's action, what the page says after)
    "sluiten": ("close-temporarily",
                lazy_gettext("%(name)s is tijdelijk gesloten. Bewoners zien het niet meer als open aanbod.")),
    "heropenen": ("reopen", lazy_gettext("%(name)s is weer open.")),
    "intrekken": ("withdraw", lazy_gettext("%(name)s is ingetrokken.")),
}
LIST_SIZE = 200
MAX_ROWS = 20  # opening hours a form may carry
TIME = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")
LANGUAGE = re.compile(r"[a-z]{2}")  # fullmatch: "$" would let "nl\n" through
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
COMPARED = ("name", "description", "category", "buurt", "languages", "free", "fees_description", "schedules")


def with_directory(view):
    """logged_in, for the partner's directory: its own page when that is not reachable or missing."""
    @logged_in
    @wraps(view)
    def page(*args, **kwargs):
        if not city_api.has_directory(g.staff["partner"]):
            return render_template("error.html", status=404, title=_("Geen aanbod"), message=_(
                "Je organisatie houdt haar aanbod niet bij in SAMEN030.")), 404
        try:
            return view(*args, **kwargs)
        except city_api.PeerRefused as refused:
            if refused.status == 403:  # the directory says no: this page's own refusal, not the requests' one
                return refusal(403)
            raise
        except city_api.PeerUnavailable as exc:
            return out_of_reach(exc, down=_(
                "Het aanbod van je organisatie is nu niet bereikbaar. Er is niets gewijzigd. Probeer het over een "
                "paar minuten opnieuw."), not_sure=_(
                "De gids van je organisatie antwoordde niet op tijd. Het is niet zeker of je wijziging is "
                "opgeslagen: kijk het na in de lijst met aanbod voordat je het opnieuw probeert."))
    return page


@bp.get("/")
@with_directory
def offers():
    partner, token = g.staff["partner"], g.staff["token"]
    page = city_api.directory_read(partner, token, "/offers", {"per_page": LIST_SIZE}) or {"items": []}
    grouped = {status: [] for status, _title in SECTIONS}
    for item in page["items"]:
        grouped.setdefault(item["status"], []).append(_describe(item))
    return render_template("staff/offers.html", grouped=grouped, sections=SECTIONS, partner=_partner(),
                           notice=session.pop("offers_notice", None), total=page.get("total_items", 0))


@bp.route("/nieuw", methods=["GET", "POST"])
@with_directory
def new():
    if request.method == "GET":
        return _form_page(OfferForm.empty(), None)
    form = OfferForm.of(request.form)
    if request.form.get("actie") == "rij" or not form.valid():
        return _form_page(form, None, status=200 if request.form.get("actie") == "rij" else 400)
    try:
        made = city_api.directory_write(g.staff["partner"], g.staff["token"], "POST", "/offers", form.fields())
    except city_api.PeerRefused as refused:
        if refused.status in (401, 403):  # logged_in: log in again, or the refusal page
            raise
        form.errors["formulier"] = _refused_in_dutch(refused)
        return _form_page(form, None, status=refused.status)
    if made is None:  # no /offers at the partner's directory: nothing was made
        raise city_api.PeerUnavailable("the directory has no /offers")
    session["offers_notice"] = str(_("%(name)s is toegevoegd.", name=made["name"]))
    return redirect(url_for("staff_offers.offer", offer_id=made["id"]), 303)


@bp.get("/<offer_id>")
@with_directory
def offer(offer_id):
    found = _own_offer(offer_id)
    if found is None:
        return refusal(404)
    return render_template("staff/offer.html", offer=_describe(found), partner=_partner(), days=labels.days,
                           notice=session.pop("offers_notice", None), error=None)


@bp.route("/<offer_id>/wijzigen", methods=["GET", "POST"])
@with_directory
def edit(offer_id):
    found = _own_offer(offer_id)
    if found is None:
        return refusal(404)
    if found["status"] == "defunct":
        return _withdrawn(found)
    if request.method == "GET":
        return _form_page(OfferForm.from_offer(found), found)
    form = OfferForm.of(request.form)
    if request.form.get("actie") == "rij" or not form.valid():
        return _form_page(form, found, status=200 if request.form.get("actie") == "rij" else 400)
    started_from = form.basis or _stored_fields(found)  # the offer as the form showed it
    try:
        city_api.directory_write(g.staff["partner"], g.staff["token"], "PATCH", f"/offers/{found['id']}",
                                 {**_changed(started_from, form.fields(), found), "version": form.version})
    except city_api.PeerRefused as refused:
        if refused.status == 409:  # changed meanwhile: the new version, with what they changed on top of it
            newer = _own_offer(offer_id)
            if newer is None:
                return refusal(404)
            if newer["status"] == "defunct":
                return _withdrawn(newer)
            mine = _changed(started_from, form.fields(), newer)
            merged = OfferForm.from_offer({**newer, **mine})
            merged.basis = _stored_fields(newer)  # the next save starts from the new version
            return _form_page(merged, newer, status=409, conflict=_differences(merged, OfferForm.from_offer(newer)))
        if refused.status in (401, 403):
            raise
        form.errors["formulier"] = _refused_in_dutch(refused)
        return _form_page(form, found, status=refused.status)
    session["offers_notice"] = str(_("Je wijzigingen in %(name)s zijn opgeslagen.", name=form.naam))
    return redirect(url_for("staff_offers.offer", offer_id=found["id"]), 303)


@bp.route("/<offer_id>/<action>", methods=["GET", "POST"])
@with_directory
def change_status(offer_id, action):
    """Close for a while, open again, withdraw; withdrawing asks first (GET shows the question)."""
    if action not in ACTIONS:
        return refusal(404)
    found = _own_offer(offer_id)
    if found is None:
        return refusal(404)
    if found["status"] == "defunct":
        return _withdrawn(found)
    if request.method == "GET":
        if action != "intrekken":
            return redirect(url_for("staff_offers.offer", offer_id=found["id"]), 303)
        return render_template("staff/offer_withdraw.html", offer=found, partner=_partner())
    path, done = ACTIONS[action]
    try:
        version = int(request.form.get("versie", ""))
    except ValueError:
        version = 0
    try:
        changed = city_api.directory_write(g.staff["partner"], g.staff["token"], "POST",
                                           f"/offers/{found['id']}/{path}", {"version": version})
    except city_api.PeerRefused as refused:
        if refused.status in (401, 403):  # logged_in: log in again, or the refusal page
            raise
        error = _("Dit aanbod is intussen gewijzigd. Hieronder zie je hoe het nu is; kijk of je het nog steeds "
                  "wilt en probeer het opnieuw.") if refused.status == 409 else _refused_in_dutch(refused)
        return render_template("staff/offer.html", offer=_describe(found), partner=_partner(), days=labels.days,
                               notice=None, error=error), refused.status
    if changed is None:  # gone meanwhile
        return refusal(404)
    session["offers_notice"] = str(done) % {"name": changed["name"]}
    return redirect(url_for("staff_offers.offer", offer_id=found["id"]), 303)


def refusal(status: int):
    """The same page whether the offer is another partner's or does not exist: nothing is given away."""
    return render_template("staff/offer_refused.html", status=status, partner=_partner()), status


def _own_offer(offer_id: str) -> dict | None:
    """The offer at the partner's own directory; None when it is not there or not the partner's."""
    try:
        offer_id = str(uuid.UUID(offer_id))
    except ValueError:
        return None
    found = city_api.directory_read(g.staff["partner"], g.staff["token"], f"/offers/{offer_id}")
    if not found or found.get("partner") != g.staff["partner"] or found.get("id") != offer_id:
        return None
    return found


def _withdrawn(found: dict):
    """A withdrawn offer does not come back, nor change."""
    return render_template("staff/offer.html", offer=_describe(found), partner=_partner(), days=labels.days, notice=None,
                           error=_("Dit aanbod is ingetrokken: je kunt het niet meer wijzigen of openen.")), 409


def _changed(started_from: dict, fields: dict, found: dict) -> dict:
    """Only the fields the coordinator changed from what the form showed, so that neither what the form
    does not show (the description of an opening time, say) nor a colleague's change to another field is
    undone; a stale version is refused all the same. Opening times kept keep their description in `found`."""
    changed = {key: value for key, value in fields.items()
               if _comparable(key, value) != _comparable(key, started_from.get(key))}
    described = {_comparable("schedules", [s])[0]: s.get("description") for s in found.get("schedules") or []}
    for schedule in changed.get("schedules", []):  # an opening time kept as it was keeps its description
        if description := described.get(_comparable("schedules", [schedule])[0]):
            schedule["description"] = description
    return changed


def _partner():
    return staff_partners()[g.staff["partner"]]


def _describe(item: dict) -> dict:
    item["place"] = places.name_of({"buurt": item["buurt"]}) if item.get("buurt") in buurten() else ""
    item["category_label"] = labels.category(item.get("category", ""))
    item["status_label"] = labels.word(STATUSES, item.get("status"))
    return item


def _comparable(key: str, value):
    if key == "schedules":
        return [(s["byday"], s["opens_at"], s["closes_at"]) for s in value or []]
    return (value or None) if key in ("fees_description", "description") else value


def _stored_fields(offer: dict) -> dict:
    return {key: offer.get(key) for key in COMPARED}


def _form_page(form: "OfferForm", offer: dict | None, status: int = 200, conflict: list | None = None):
    return render_template("staff/offer_form.html", form=form, offer=offer, partner=_partner(), places=places,
                           spoken=form.language_choices(), weekdays=weekday_names(), conflict=conflict), status


def _refused_in_dutch(refused: city_api.PeerRefused) -> str:
    return _("Je organisatie nam dit aanbod zo niet aan. Kijk de velden na en probeer het opnieuw. (%(status)s)",
             status=refused.status)


def weekday_names() -> list[tuple[str, str]]:
    return [(code, labels.days(code)) for code in labels.WEEKDAYS]


def _differences(typed: "OfferForm", newer: "OfferForm") -> list[dict]:
    """What the other change made different from what the coordinator typed: (label, now, typed)."""
    rows = []
    for key, label in (("naam", _("Naam")), ("beschrijving", _("Beschrijving")), ("onderwerp", _("Onderwerp")),
                       ("buurt", _("Buurt")), ("talen", _("Talen")), ("gratis", _("Gratis")),
                       ("kosten", _("Kosten")), ("tijden", _("Openingstijden"))):
        now, mine = newer.shown(key), typed.shown(key)
        if now != mine:
            rows.append({"label": label, "now": now, "typed": mine})
    return rows


class OfferForm:
    """The offer's fields as the form has them (Dutch names, places by name), checked; `errors` in Dutch."""

    def __init__(self, naam="", beschrijving="", onderwerp="", buurt="", talen=(), gratis="ja", kosten="",
                 rows=(), version=0, basis=None):
        self.naam, self.beschrijving, self.onderwerp, self.buurt = naam, beschrijving, onderwerp, buurt
        self.talen, self.gratis, self.kosten = list(talen), gratis, kosten
        self.rows, self.version, self.errors = [dict(r) for r in rows], version, {}
        self.basis = basis  # the stored offer's fields the form started from (a hidden field), or None

    @classmethod
    def empty(cls) -> "OfferForm":
        return cls(talen=["nl"], rows=[_row()])

    @classmethod
    def from_offer(cls, offer: dict) -> "OfferForm":
        rows = [{"dagen": s["byday"].split(","), "open": s["opens_at"], "dicht": s["closes_at"]}
                for s in offer.get("schedules") or []]
        place = buurten().get(offer.get("buurt") or "")
        return cls(offer["name"], offer.get("description") or "", offer.get("category", ""),
                   place.name if place else "", offer.get("languages") or [], "ja" if offer.get("free") else "nee",
                   offer.get("fees_description") or "", rows + [_row()], offer["version"], _stored_fields(offer))

    @classmethod
    def of(cls, source) -> "OfferForm":
        def text(name, most):
            return CONTROL.sub("", (source.get(name) or "").replace("\r\n", "\n")).strip()[:most + 1]
        try:
            count = min(max(int(source.get("rijen", 1)), 1), MAX_ROWS)
        except ValueError:
            count = 1
        rows = [{"dagen": [d for d in source.getlist(f"dagen-{i}") if d in labels.WEEKDAYS],
                 "open": text(f"open-{i}", 5), "dicht": text(f"dicht-{i}", 5)} for i in range(count)]
        if source.get("actie") == "rij" and count < MAX_ROWS:
            rows.append(_row())
        try:
            version = int(source.get("versie", 0))
        except ValueError:
            version = 0
        return cls(text("naam", 200), text("beschrijving", 4000), source.get("onderwerp", ""), text("buurt", 100),
                   [code for code in source.getlist("talen") if LANGUAGE.fullmatch(code)][:20],
                   source.get("gratis", ""), text("kosten", 1000), rows, version, _basis(source.get("basis")))

    def valid(self) -> bool:
        errors = self.errors
        if not self.naam:
            errors["naam"] = _("Vul de naam van het aanbod in.")
        elif len(self.naam) > 200:
            errors["naam"] = _("De naam mag hoogstens 200 tekens lang zijn.")
        if len(self.beschrijving) > 4000:
            errors["beschrijving"] = _("De beschrijving mag hoogstens 4000 tekens lang zijn.")
        for key in ("naam", "beschrijving", "kosten"):
            if key not in errors and (EMAIL.search(getattr(self, key)) or PHONE.search(getattr(self, key))):
                errors[key] = _("Zet hier geen e-mailadres of telefoonnummer: bewoners nemen contact op via je "
                                "organisatie.")
        if self.onderwerp not in labels.CATEGORIES:
            errors["onderwerp"] = _("Kies een onderwerp uit de lijst.")
        if self.buurt_code() is None:
            errors["buurt"] = _("Kies de buurt uit de lijst.")
        if not self.talen:
            errors["talen"] = _("Kies minstens één taal.")
        if self.gratis not in ("ja", "nee"):
            errors["gratis"] = _("Kies of het gratis is.")
        elif "kosten" not in errors and len(self.kosten) > 1000:
            errors["kosten"] = _("Schrijf de kosten in hoogstens 1000 tekens.")
        for index, row in enumerate(self.rows):
            if not (row["dagen"] or row["open"] or row["dicht"]):
                continue  # an empty row: no opening hours there
            opens, closes = _time(row["open"]), _time(row["dicht"])
            if not row["dagen"]:
                errors[f"tijden-{index}"] = _("Kies op welke dagen het open is.")
            elif opens is None or closes is None:
                errors[f"tijden-{index}"] = _("Vul de tijden in als uren en minuten, bijvoorbeeld 10:00 en 12:30.")
            elif opens >= closes:
                errors[f"tijden-{index}"] = _("Het sluit later dan het opengaat: kijk de tijden na.")
            else:
                row["open"], row["dicht"] = opens, closes
        return not errors

    def field_errors(self) -> dict:
        return {key: message for key, message in self.errors.items() if key != "formulier"}

    def buurt_code(self) -> str | None:
        wanted = places.plain(self.buurt)
        return next((b.code for b in buurten().values() if places.plain(b.name) == wanted), None) if wanted else None

    def schedules(self) -> list[dict]:
        return [{"byday": ",".join(d for d in labels.WEEKDAYS if d in row["dagen"]), "opens_at": row["open"],
                 "closes_at": row["dicht"]} for row in self.rows if row["dagen"]]

    def fields(self) -> dict:
        """The offer's fields as the directory takes them (after valid())."""
        return {"name": self.naam, "description": self.beschrijving, "category": self.onderwerp,
                "buurt": self.buurt_code(), "languages": self.talen, "free": self.gratis == "ja",
                "fees_description": self.kosten or None, "schedules": self.schedules()}

    def basis_json(self) -> str:
        return json.dumps(self.basis, ensure_ascii=False, separators=(",", ":")) if self.basis else ""

    def language_choices(self) -> list[str]:
        return list(SPOKEN) + [code for code in self.talen if code not in SPOKEN]

    def shown(self, key: str) -> str:
        """A field as a person reads it, to compare two versions."""
        if key == "onderwerp":
            return labels.category(self.onderwerp)
        if key == "talen":
            return ", ".join(spoken_language(code) for code in self.talen)
        if key == "gratis":
            return _("ja") if self.gratis == "ja" else _("nee")
        if key == "tijden":
            return "; ".join(_("%(days)s van %(opens)s tot %(closes)s", days=labels.days(s["byday"]),
                               opens=s["opens_at"], closes=s["closes_at"]) for s in self.schedules())
        return getattr(self, key)


def _basis(sent: str | None) -> dict | None:
    """The hidden starting point as the form sent it back; None when it is not one (then the stored offer
    counts as the starting point, as before a change meanwhile)."""
    try:
        basis = json.loads(sent or "")
        if not (isinstance(basis, dict) and set(basis) == set(COMPARED)):
            return None
        for key in COMPARED:
            _comparable(key, basis[key])
        if any(not isinstance(v, str) for s in basis["schedules"] for v in (s["byday"], s["opens_at"], s["closes_at"])):
            return None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return basis


def _row() -> dict:
    return {"dagen": [], "open": "", "dicht": ""}


def _time(value: str) -> str | None:
    found = TIME.match(value.strip())
    return f"{int(found.group(1)):02d}:{found.group(2)}" if found else None
