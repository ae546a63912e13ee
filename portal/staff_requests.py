"""What a coordinator does with one request on its page: move it on (triage, start, accept or decline a
referral that came in, resolve, close, …), see what fits it (offers and volunteers, with the reasons), and
refer it to another partner — after seeing exactly what would be shared, given the resident's consents.

Every write goes to the coordinator's own requests service with their token (the portal keeps nothing);
the page first reads the request there, so an id that is not the partner's own is the refusal page,
for a form posted by hand too. The service decides what is allowed: its 409 (changed meanwhile, not
possible in this status) and 422 come back as a Dutch message beside the form, with what was typed."""
import re
import uuid

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from samen030.kernel.web import CONTROL_CHARACTERS

from . import city_api, labels, places
from .i18n import current, gettext as _
from .staff import logged_in, own_request, partner_names, refusal

bp = Blueprint("staff_requests", __name__, url_prefix="/medewerkers")
REASON_MAX = 1000  # as the requests service takes it
# The moves a coordinator makes with a button, in the order they are offered; `refer` has its own page.
MOVES = {
    "triage": lazy_gettext("Uitgevraagd: ik heb contact gehad"),
    "accept": lazy_gettext("Doorverwijzing aannemen"),
    "decline": lazy_gettext("Doorverwijzing afwijzen"),
    "start": lazy_gettext("Zelf oppakken"),
    "resolve": lazy_gettext("Opgelost"),
    "reopen": lazy_gettext("Weer oppakken"),
    "close": lazy_gettext("Afsluiten"),
    "withdraw": lazy_gettext("Intrekken: de bewoner wil geen hulp meer"),
}
NO_SUGGESTIONS_WHEN = ("resolved", "closed", "withdrawn")
ENGLISH_TAIL = re.compile(r"\s*\([^()]*\)\s*$")
TARGET = re.compile(r"^(aanbod|vrijwilliger):([0-9a-fA-F-]{36})$")
CONSENT_CHANGED = lazy_gettext("De hulpvraag is niet doorverwezen. Wat er wordt gedeeld, is veranderd sinds je deze "
                               "pagina opende: de toestemming van de bewoner is intussen gewijzigd. Kijk hierboven wat "
                               "er nu meegaat en verwijs dan opnieuw door.")


def plain(text: str | None) -> str:
    """A service's reason or note ("Dutch (English)") as a Dutch reader wants it: without the English."""
    text = text or ""
    return ENGLISH_TAIL.sub("", text) if current().language == "nl" else text


def page(item: dict, status: int = 200, errors: dict | None = None, values: dict | None = None):
    """The request's page: its facts, history, referrals, what can be done now and what fits it."""
    partner, token = g.staff["partner"], g.staff["token"]
    history = city_api.staff_read(partner, token, f"/requests/{item['id']}/history") or []
    referrals = city_api.staff_read(partner, token, f"/requests/{item['id']}/referrals") or []
    names = partner_names()
    for referral in referrals:
        referral["partner_name"] = names.get(referral["partner"], referral["partner"])
    moves = [(action, MOVES[action]) for action in MOVES if action in item.get("possible_actions", [])]
    return render_template(
        "staff/request.html", item=item, history=history, referrals=referrals, moves=moves,
        can_refer="refer" in item.get("possible_actions", []), suggestions=_suggestions(item),
        errors=errors or {}, values=values or {}, referred_by=item.get("referred_by_name"),
        partner=names.get(partner), plain=plain), status


def _suggestions(item: dict) -> dict | None:
    """Offers and volunteers that fit, each described for the page; None when they cannot be had now."""
    if item["status"] in NO_SUGGESTIONS_WHEN or item.get("erased_at"):
        return {"skipped": True}
    try:
        found = city_api.staff_read(g.staff["partner"], g.staff["token"], f"/requests/{item['id']}/suggestions")
    except (city_api.PeerUnavailable, city_api.PeerRefused):
        return None
    if not isinstance(found, dict):
        return None
    names = partner_names()
    for entry in found.get("offers", []) + found.get("volunteers", []) + found.get("volunteers_elsewhere", []):
        entry["partner_name"] = names.get(entry.get("partner", g.staff["partner"]), entry.get("partner"))
        entry["place"] = places.name_of({"buurt": entry["buurt"]}) if entry.get("buurt") else ""
        entry["own"] = entry.get("partner", g.staff["partner"]) == g.staff["partner"]
    return found


@bp.post("/hulpvragen/<request_id>/handeling")
@logged_in
def move(request_id):
    item, status = own_request(request_id)
    if item is None:
        return refusal(status)
    action = request.form.get("handeling") or ""
    reason = (request.form.get("toelichting") or "").strip()
    values, errors = {"toelichting": reason}, {}
    if action not in MOVES:
        errors["handeling"] = _("Kies wat je met de hulpvraag doet: gebruik een van de knoppen.")
    if len(reason) > REASON_MAX:
        errors["toelichting"] = _("Je toelichting is te lang. Gebruik hoogstens %(most)s tekens.", most=REASON_MAX)
    if errors:
        return page(item, 400, errors, values)
    body = {"reason": reason or None}
    version = request.form.get("versie") or ""
    if version.isascii() and version.isdigit() and 0 < int(version) < 2**31:  # "²".isdigit(), int("²") raises
        body["version"] = int(version)  # a page shown before someone else changed the request: 409
    try:
        moved = city_api.staff_write(g.staff["partner"], g.staff["token"], f"/requests/{item['id']}/{action}", body)
    except city_api.PeerRefused as refused:
        if refused.status in (401, 403):
            raise
        now, _status = own_request(item["id"])
        if now is None:
            return refusal(404)
        message = _("Dat kan nu niet meer: de hulpvraag is intussen veranderd. Hieronder zie je hoe hij nu is; kies "
                    "opnieuw wat je doet.") if refused.status == 409 else _(
            "Dat nam je organisatie niet aan. Kijk je toelichting na en probeer het opnieuw.")
        return page(now, 409 if refused.status == 409 else 422, {"handeling": message}, values)
    if moved is None:
        return refusal(404)
    flash(_("Gelukt: de hulpvraag is nu ‘%(status)s’.", status=labels.word(labels.STATUSES, moved["status"])))
    return redirect(url_for("staff.request_page", request_id=item["id"]), 303)


@bp.route("/hulpvragen/<request_id>/doorverwijzen", methods=["GET", "POST"])
@logged_in
def refer(request_id):
    item, status = own_request(request_id)
    if item is None:
        return refusal(status)
    form = ReferForm.of(request.values, targets())
    if request.method == "GET":
        form.from_link()
        return _refer_page(item, form)
    if "refer" not in item.get("possible_actions", []):
        form.errors["verwijzing"] = _not_referable(item)
        return _refer_page(item, form, 409)
    if not form.valid():
        return _refer_page(item, form, 400)
    preview = _preview(item)  # what would go now: never more, nor other, than the page showed
    if preview is None:
        form.errors["verwijzing"] = _("De hulpvraag is niet doorverwezen: welke toestemming de bewoner gaf, is nu niet "
                                      "na te vragen. Probeer het over een paar minuten opnieuw.")
        return _refer_page(item, form, 503, preview)
    if (request.form.get("gedeeld") or "") != shared_key(preview):
        form.errors["verwijzing"] = CONSENT_CHANGED
        return _refer_page(item, form, 409, preview)
    kind, target_id = form.target()
    body = {"offer_id" if kind == "aanbod" else "volunteer_id": target_id, "reason": form.toelichting or None,
            "expected_shared": preview.get("shared") or []}  # the service checks it again under the request's lock
    to = form.partner_name()
    try:
        referral = city_api.staff_write(g.staff["partner"], g.staff["token"], f"/requests/{item['id']}/refer", body)
    except city_api.PeerRefused as refused:
        if refused.status in (401, 403):
            raise
        if refused.status == 422:
            form.errors["doel"] = _("Hiernaar kun je niet doorverwijzen: het aanbod is niet (meer) actief, of de "
                                    "vrijwilliger wil niet meer gevraagd worden. Kies iets anders.")
            return _refer_page(item, form, 422)
        now, _status = own_request(item["id"])
        newer = _preview(now or item)
        if newer is not None and shared_key(newer) != shared_key(preview):
            form.errors["verwijzing"] = CONSENT_CHANGED
            return _refer_page(now or item, form, 409, newer)
        form.errors["verwijzing"] = _(
            "De hulpvraag is niet doorverwezen: hij is intussen veranderd, of wordt op dit moment al doorverwezen. "
            "Bekijk de hulpvraag en probeer het zo nodig opnieuw.")
        return _refer_page(now or item, form, 409)
    except city_api.PeerUnavailable:
        form.errors["verwijzing"] = _(
            "De hulpvraag is niet doorverwezen: %(partner)s of jullie eigen hulpvragendienst antwoordde niet (op tijd). "
            "Wat er eventueel is aangekomen, wordt weer ingetrokken. Probeer het over een paar minuten opnieuw.",
            partner=to)
        return _refer_page(item, form, 503)
    if referral is None:
        return refusal(404)
    if referral.get("shared"):
        flash(_("Doorverwezen naar %(partner)s. Gedeeld: %(what)s.", partner=to,
                what=", ".join(labels.word(labels.SHARED, f) for f in referral["shared"])))
    else:
        flash(_("Doorverwezen naar %(partner)s, zonder gegevens van de bewoner. Geef de bewoner de contactgegevens "
                "hieronder.", partner=to))
    return redirect(url_for("staff.request_page", request_id=item["id"]), 303)


def _not_referable(item: dict) -> str:
    if item["status"] == "received":
        return _("Doorverwijzen kan als je de vraag hebt uitgevraagd: neem eerst contact op met de bewoner.")
    return _("Deze hulpvraag kan nu niet worden doorverwezen (status: %(status)s).",
             status=labels.word(labels.STATUSES, item["status"]))


def _preview(item: dict) -> dict | None:
    """What a referral of the request would share now (the requests service decides, as `refer` does); None
    when it cannot be referred or the consents cannot be asked now."""
    if "refer" not in item.get("possible_actions", []):
        return None
    try:
        return city_api.staff_read(g.staff["partner"], g.staff["token"], f"/requests/{item['id']}/referral-preview")
    except (city_api.PeerUnavailable, city_api.PeerRefused) as exc:
        if getattr(exc, "status", None) in (401, 403):
            raise
        return None


def shared_key(preview: dict) -> str:
    """What the refer page showed would be shared, as its form sends it back: the POST refers only when the
    same would go now (a consent given or withdrawn meanwhile shows the page again)."""
    return ",".join(sorted(preview.get("shared") or [])) or "niets"


NOT_READ = object()


def _refer_page(item: dict, form: "ReferForm", status: int = 200, preview=NOT_READ):
    if preview is NOT_READ:
        preview = _preview(item)
    choices = form.choices()
    kept = []  # what the request holds that the consent does not let go
    if preview is not None:
        if item.get("phone") and "phone" not in preview["shared"]:
            kept.append(_("het telefoonnummer (geen toestemming om te bellen)"))
        if item.get("email") and "email" not in preview["shared"]:
            kept.append(_("het e-mailadres (geen toestemming om te mailen)"))
    always = [str(ALWAYS_WORDS[f]) for f in (preview or {}).get("always", []) if f in ALWAYS_WORDS]
    return render_template("staff/refer.html", item=item, form=form, choices=choices, preview=preview, kept=kept,
                           shared_key=shared_key(preview) if preview is not None else None,
                           always=always, can_refer="refer" in item.get("possible_actions", []),
                           not_referable=_not_referable(item)), status


ALWAYS_WORDS = {"category": lazy_gettext("het onderwerp"), "terms": lazy_gettext("de deelonderwerpen"),
                "buurt": lazy_gettext("de buurt"), "urgency": lazy_gettext("de urgentie"),
                "languages": lazy_gettext("de talen")}


def targets() -> dict:
    """The partners a request can be referred to: every other partner that takes referrals (a requests service)."""
    return {p.id: p for p in current_app.config["FEDERATION"].partners.values()
            if "requests" in p.services and p.id != g.staff["partner"]}


class ReferForm:
    """Whom to refer to: a partner, then one of its active offers (or a volunteer from the suggestions)."""

    def __init__(self, values: dict, targets: dict):
        self.values, self.targets, self.errors = values, targets, {}
        self._choices = None

    @classmethod
    def of(cls, source, targets: dict) -> "ReferForm":
        values = {name: (source.get(name) or "").strip() for name in ("organisatie", "doel", "toelichting")}
        for kind in ("aanbod", "vrijwilliger"):  # a link from a suggestion names the offer or volunteer
            if (picked := (source.get(kind) or "").strip()) and not values["doel"]:
                values["doel"] = f"{kind}:{picked}"
        return cls(values, targets)

    def __getattr__(self, name):
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def target(self) -> tuple[str, str] | tuple[None, None]:
        found = TARGET.match(self.doel)
        if not found:
            return None, None
        try:
            return found.group(1), str(uuid.UUID(found.group(2)))
        except ValueError:
            return None, None

    def from_link(self) -> None:
        """From a suggestion: the partner is the offer's or the volunteer's."""
        kind, target_id = self.target()
        if kind is None or self.organisatie:
            return
        try:
            found = city_api.offer(target_id) if kind == "aanbod" else city_api.volunteer_profile(target_id)
        except (city_api.PeerUnavailable, city_api.PeerRefused):
            found = None
        if found and found.get("partner") in self.targets:
            self.values["organisatie"] = found["partner"]

    def partner_name(self) -> str:
        partner = self.targets.get(self.organisatie)
        return partner.name if partner else self.organisatie

    def choices(self) -> list[dict]:
        """The chosen partner's active offers, and the volunteer picked from the suggestions if theirs."""
        if self._choices is not None:
            return self._choices
        self._choices = []
        if self.organisatie not in self.targets:
            return self._choices
        try:
            offers = city_api.partner_offers(self.organisatie)
        except (city_api.PeerUnavailable, city_api.PeerRefused):
            self.errors.setdefault("doel", _("Het aanbod van %(partner)s is nu niet op te halen. Probeer het over een "
                                             "paar minuten opnieuw.", partner=self.partner_name()))
            offers = []
        self._choices = [{"value": f"aanbod:{o['id']}", "name": o["name"], "category": labels.category(o["category"]),
                          "place": places.name_of({"buurt": o["buurt"]}) if o.get("buurt") else ""} for o in offers]
        kind, target_id = self.target()
        if kind == "vrijwilliger":
            try:
                profile = city_api.volunteer_profile(target_id)
            except (city_api.PeerUnavailable, city_api.PeerRefused):
                profile = None
            if profile and profile.get("partner") == self.organisatie:
                self._choices.insert(0, {"value": self.doel, "volunteer": True, "name": _(
                    "Een vrijwilliger van %(partner)s (anoniem)", partner=self.partner_name()),
                    "place": places.name_of({"buurt": profile["buurt"]}) if profile.get("buurt") else "",
                    "category": ""})
        return self._choices

    def valid(self) -> bool:
        if self.organisatie not in self.targets:
            self.errors["organisatie"] = _("Kies de organisatie waarnaar je doorverwijst.")
        elif self.doel not in [c["value"] for c in self.choices()] or self.target()[0] is None:
            self.errors.setdefault("doel", _("Kies een aanbod van %(partner)s.", partner=self.partner_name()))
        if len(self.toelichting) > REASON_MAX:
            self.errors["toelichting"] = _("Je toelichting is te lang. Gebruik hoogstens %(most)s tekens.",
                                           most=REASON_MAX)
        elif CONTROL_CHARACTERS.search(self.toelichting):  # the service refuses them with a 422 about the offer
            self.errors["toelichting"] = _("Je toelichting bevat een teken dat niet kan (een stuurteken, bijvoorbeeld "
                                           "uit een gekopieerde tekst). Typ de toelichting opnieuw.")
        return not self.errors
