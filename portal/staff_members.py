"""A coordinator's pages for their partner's members and volunteers: the list, registering someone, a
member's page with their consents (record, withdraw), the AVG export as a file, and erasure behind a
confirmation. Every read and change goes to the partner's own members service with the coordinator's
token (city_api.members_call), so that service decides; the portal refuses on top of that: an id that is
not one of the partner's members, or one whose data was erased, is the same refusal page."""
import json
import re
import uuid
from datetime import date
from functools import wraps

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from samen030.kernel.geography import buurten
from samen030.kernel.taxonomy import TERMS

from . import city_api, places
from .i18n import current, gettext as _
from .staff import logged_in, out_of_reach, staff_partners

bp = Blueprint("staff_members", __name__, url_prefix="/medewerkers/leden")
PER_PAGE = 50
KINDS = {"bewoner": lazy_gettext("Bewoner"), "vrijwilliger": lazy_gettext("Vrijwilliger"),
         "ondernemer": lazy_gettext("Ondernemer"), "organisatie": lazy_gettext("Organisatie")}
STATUSES = {"aspirant": lazy_gettext("Aspirant-lid"), "lid": lazy_gettext("Lid"), "opgezegd": lazy_gettext("Opgezegd")}
PURPOSES = {  # what a member agrees to, as the coordinator reads it out to them
    "contact_email": lazy_gettext("We mogen dit lid e-mailen."),
    "contact_phone": lazy_gettext("We mogen dit lid bellen."),
    "share_for_referral": lazy_gettext("We mogen de vraag en de naam van dit lid doorgeven aan een andere organisatie "
                                       "van SAMEN030 als die beter kan helpen."),
    "volunteer_suggestions": lazy_gettext("We mogen dit lid als vrijwilliger voorstellen bij hulpvragen die passen."),
}
HOW = {"schriftelijk": lazy_gettext("op papier"), "mondeling": lazy_gettext("mondeling"),
       "online": lazy_gettext("online")}
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,30}$")  # as the members service checks it
POSTCODE = re.compile(r"^[1-9][0-9]{3} ?[A-Za-z]{2}$")
FIELDS = ("naam", "soort", "lidnummer", "status", "email", "telefoon", "adres", "postcode", "buurt", "geboortedatum")
SERVICE_FIELDS = {"name": "naam", "kind": "soort", "type": "soort", "membership_number": "lidnummer",
                  "membership_status": "status", "email": "email", "phone": "telefoon", "address": "adres",
                  "postcode": "postcode", "buurt": "buurt", "birth_date": "geboortedatum", "skills": "vaardigheden"}


def members_page(view):
    """A coordinator's page on the members service: logged in (a 401 leads back to the login page), a 503
    in plain Dutch when it is down, and a refusal the page did not expect in Dutch too, never a 500."""
    @wraps(view)
    def page(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except city_api.PeerUnavailable as exc:
            return out_of_reach(exc, down=_(
                "De ledenadministratie van je organisatie is nu niet bereikbaar. Probeer het over een paar "
                "minuten opnieuw. Er is niets veranderd."), not_sure=_(
                "De ledenadministratie van je organisatie antwoordde niet op tijd. Het is niet zeker of het "
                "gelukt is: kijk het na op de pagina van het lid of in de lijst voordat je het opnieuw probeert."))
        except city_api.PeerRefused as refused:
            if refused.status == 401:
                raise  # logged_in: log in again
            if refused.status == 403:
                return refusal(403)
            current_app.logger.warning("portal: members service refused: %s", refused)
            return render_template("error.html", status=refused.status, title=_("Dat kan niet"), message=_(
                "De ledenadministratie van je organisatie heeft dit niet gedaan. Ga terug, laad de pagina opnieuw "
                "en probeer het nog een keer.")), refused.status
    return logged_in(page)


def _call(method: str, path: str, body: dict | None = None, params: dict | None = None):
    return city_api.members_call(g.staff["partner"], g.staff["token"], method, path, json=body, params=params)


def refusal(status: int = 404):
    """The same page whether the member is another partner's, was erased, or never existed."""
    return render_template("staff/members_refused.html", status=status,
                           partner=staff_partners()[g.staff["partner"]]), status


def _member(member_id: str) -> dict | None:
    """The partner's own member, not erased; None otherwise (then the refusal page)."""
    try:
        member_id = str(uuid.UUID(member_id))
    except ValueError:
        return None
    found = _call("GET", f"/members/{member_id}")
    if not found or found.get("id") != member_id or found.get("partner") != g.staff["partner"] or found.get("erased_at"):
        return None
    return found


def _describe(member: dict) -> dict:
    member["kind_label"] = str(KINDS.get(member.get("kind"), member.get("kind") or ""))
    member["status_label"] = str(STATUSES.get(member.get("membership_status"), member.get("membership_status") or ""))
    member["place"] = places.name_of({"buurt": member["buurt"]}) if member.get("buurt") in buurten() else ""
    member["skill_labels"] = [label for code, label in skills() if code in (member.get("skills") or [])]
    return member


@bp.get("/")
@members_page
def members():
    kind = request.args.get("soort", "")
    kind = kind if kind in KINDS else ""
    page = request.args.get("pagina", "1")
    page = int(page) if page.isascii() and page.isdigit() and 0 < int(page) <= 10_000 else 1  # not "²"
    params = {"page": page, "per_page": PER_PAGE, **({"kind": kind} if kind else {})}
    found = _call("GET", "/members", params=params) or {"items": [], "total_items": 0}
    shown = [_describe(m) for m in found["items"] if not m.get("erased_at")]
    pages = max(1, -(-found.get("total_items", 0) // PER_PAGE))
    return render_template("staff/members.html", members=shown, kind=kind, kinds=KINDS, page=page, pages=pages,
                           erased=len(found["items"]) - len(shown), partner=staff_partners()[g.staff["partner"]],
                           done=request.args.get("gedaan"))


def skills() -> list[tuple[str, str]]:
    """What a volunteer can help with: the taxonomy's terms below the categories, in the reader's language."""
    english = current().language == "en"
    return [(t.code, t.label_en if english else t.label_nl) for t in TERMS.values() if t.parent]


class MemberForm:
    """What the coordinator typed to register someone, checked here in Dutch before the service sees it."""

    def __init__(self, values: dict):
        self.values = {name: (values.get(name) or "").strip() for name in FIELDS}
        self.skills = [code for code in (values.getlist("vaardigheden") if hasattr(values, "getlist") else [])
                       if isinstance(code, str)][:20]
        self.errors: dict[str, str] = {}

    def valid(self) -> bool:
        v, e = self.values, self.errors
        if not v["naam"]:
            e["naam"] = _("Vul de naam in.")
        elif len(v["naam"]) > 200:
            e["naam"] = _("Een naam is hoogstens 200 tekens.")
        if v["soort"] not in KINDS:
            e["soort"] = _("Kies wat voor lid dit is.")
        if not NUMBER.match(v["lidnummer"]):
            e["lidnummer"] = _("Vul een lidnummer in van 1 tot 32 letters, cijfers of streepjes, zoals K-0042.")
        if v["status"] not in STATUSES:
            e["status"] = _("Kies of dit een aspirant-lid, een lid of een opgezegd lid is.")
        if v["email"] and (not EMAIL.match(v["email"]) or len(v["email"]) > 200):
            e["email"] = _("Vul een e-mailadres in zoals naam@voorbeeld.nl, of laat het leeg.")
        if v["telefoon"] and not PHONE.match(v["telefoon"]):
            e["telefoon"] = _("Vul een telefoonnummer in zoals 06 12345678, of laat het leeg.")
        if len(v["adres"]) > 200:
            e["adres"] = _("Een adres is hoogstens 200 tekens.")
        if v["postcode"] and not POSTCODE.match(v["postcode"]):
            e["postcode"] = _("Vul een postcode in zoals 3526 GH, of laat het leeg.")
        if v["buurt"] and self.buurt_code() is None:
            e["buurt"] = _("Kies de buurt uit de lijst, of laat het leeg.")
        if any(code not in dict(skills()) for code in self.skills):
            e["vaardigheden"] = _("Kies de vaardigheden uit de lijst.")
        elif self.skills and v["soort"] != "vrijwilliger":
            e["vaardigheden"] = _("Alleen vrijwilligers hebben vaardigheden. Kies ‘Vrijwilliger’ of haal de vinkjes weg.")
        if v["geboortedatum"] and self.birth_date() is None:
            e["geboortedatum"] = _("Vul een geboortedatum in tussen 1900 en vandaag, zoals 17-05-1980, of laat het leeg.")
        return not e

    def birth_date(self) -> str | None:
        """17-05-1980, 17/5/1980 or 1980-05-17 (what a date field sends) as 1980-05-17; None if it is none."""
        typed = self.values["geboortedatum"]
        try:
            if found := re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", typed):
                born = date(int(found[3]), int(found[2]), int(found[1]))
            else:
                born = date.fromisoformat(typed)
        except ValueError:
            return None
        return born.isoformat() if date(1900, 1, 1) <= born <= date.today() else None

    def buurt_code(self) -> str | None:
        found = places.names().get(places.plain(self.values["buurt"]))
        return found[1].get("buurt") if found else None

    def member(self) -> dict:
        v = self.values
        postcode = v["postcode"].upper().replace(" ", "")
        return {"name": v["naam"], "kind": v["soort"], "type": "organisation" if v["soort"] == "organisatie" else "person",
                "membership_number": v["lidnummer"], "membership_status": v["status"], "email": v["email"] or None,
                "phone": v["telefoon"] or None, "address": v["adres"] or None,
                "postcode": f"{postcode[:4]} {postcode[4:]}" if postcode else None,
                "buurt": self.buurt_code() if v["buurt"] else None, "birth_date": self.birth_date(),
                "skills": self.skills}

    def refused(self, refused: city_api.MembersRefused) -> None:
        """The service's own objections, put next to the field they are about, in Dutch."""
        for field, messages in refused.errors.items():
            text = " ".join(messages) if isinstance(messages, list) else str(messages)
            name = SERVICE_FIELDS.get(field, "naam")
            if "al in gebruik" in text:
                self.errors[name] = _("Dit lidnummer is al in gebruik. Kies een ander lidnummer.")
            else:
                self.errors.setdefault(name, _("De ledenadministratie accepteert dit niet. Controleer wat je invulde."))
        if not self.errors:
            self.errors["naam"] = _("De ledenadministratie heeft het lid niet geregistreerd. Controleer wat je invulde.")


@bp.route("/nieuw", methods=["GET", "POST"])
@members_page
def register():
    if request.method == "GET":
        form = MemberForm({"soort": request.args.get("soort", "bewoner"), "status": "aspirant"})
        return render_template("staff/member_new.html", form=form, kinds=KINDS, statuses=STATUSES, places=places,
                               skills=skills())
    form = MemberForm(request.form)
    if form.valid():
        try:
            made = _call("POST", "/members", form.member())
        except city_api.MembersRefused as refused:
            if refused.status not in (409, 422):
                raise
            form.refused(refused)
        else:
            current_app.logger.info("portal: member %s registered at %s", made["id"], g.staff["partner"])
            return redirect(url_for("staff_members.member", member_id=made["id"], gedaan="geregistreerd"), 303)
    return render_template("staff/member_new.html", form=form, kinds=KINDS, statuses=STATUSES, places=places,
                               skills=skills()), 400


def _member_page(member: dict, errors: dict | None = None, values: dict | None = None, status: int = 200):
    history = _call("GET", f"/members/{member['id']}/consents") or []
    return render_template("staff/member.html", member=_describe(member), consents=history, purposes=PURPOSES,
                           how=HOW, errors=errors or {}, values=values or {}, done=request.args.get("gedaan"),
                           in_force=[c for c in history if not c.get("withdrawn_at")]), status


@bp.get("/<member_id>")
@members_page
def member(member_id):
    found = _member(member_id)
    return _member_page(found) if found else refusal()


@bp.post("/<member_id>/toestemmingen")
@members_page
def give_consent(member_id):
    found = _member(member_id)
    if not found:
        return refusal()
    values = {"doel": request.form.get("doel", ""), "hoe": request.form.get("hoe", "")}
    errors = {}
    if values["doel"] not in PURPOSES:
        errors["doel"] = _("Kies waarvoor het lid toestemming geeft.")
    if values["hoe"] not in HOW:
        errors["hoe"] = _("Kies hoe het lid toestemming gaf.")
    if errors:
        return _member_page(found, errors, values, 400)
    try:
        _call("POST", f"/members/{found['id']}/consents", {"purpose": values["doel"], "how": values["hoe"]})
    except city_api.MembersRefused as refused:
        if refused.status not in (409, 422):
            raise
        return _member_page(found, {"doel": _("De ledenadministratie heeft deze toestemming niet vastgelegd.")},
                            values, refused.status)
    return redirect(url_for("staff_members.member", member_id=found["id"], gedaan="toestemming"), 303)


@bp.post("/<member_id>/toestemmingen/<consent_id>/intrekken")
@members_page
def withdraw_consent(member_id, consent_id):
    found = _member(member_id)
    if not found:
        return refusal()
    try:
        consent_id = str(uuid.UUID(consent_id))
        withdrawn = _call("POST", f"/members/{found['id']}/consents/{consent_id}/withdraw", {})
    except ValueError:
        withdrawn = None
    except city_api.MembersRefused as refused:
        if refused.status not in (409, 422):
            raise
        return _member_page(found, {"intrekken": _("Deze toestemming is al ingetrokken.")}, status=409)
    if withdrawn is None:
        return _member_page(found, {"intrekken": _("Dit lid heeft deze toestemming niet.")}, status=404)
    return redirect(url_for("staff_members.member", member_id=found["id"], gedaan="ingetrokken"), 303)


@bp.get("/<member_id>/inzage")
@members_page
def export(member_id):
    """Everything the partner holds about the member (AVG), as a file to hand to them."""
    found = _member(member_id)
    if not found:
        return refusal()
    document = _call("GET", f"/members/{found['id']}/export")
    if document is None or (document.get("member") or {}).get("id") != found["id"]:
        return refusal()
    name = f"avg-inzage-{g.staff['partner']}-lid-{found['id'][:8]}-{date.today().isoformat()}.json"
    current_app.logger.info("portal: export of member %s at %s", found["id"], g.staff["partner"])
    return Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<member_id>/wissen", methods=["GET", "POST"])
@members_page
def erase(member_id):
    found = _member(member_id)
    if not found:
        return refusal()
    if request.method == "GET":
        return render_template("staff/member_erase.html", member=_describe(found), errors={})
    if request.form.get("bevestig") != "ja":
        return render_template("staff/member_erase.html", member=_describe(found), errors={"bevestig": _(
            "Zet een vinkje om te bevestigen dat je de gegevens van dit lid wilt wissen.")}), 400
    _call("POST", f"/members/{found['id']}/erase")
    current_app.logger.info("portal: member %s erased at %s", found["id"], g.staff["partner"])
    return redirect(url_for("staff_members.members", gedaan="gewist"), 303)
