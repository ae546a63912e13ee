"""The coordinators' pages: log in with the staff account at their own partner's members service, the
inbox (new, overdue, incoming referrals) and one request. The portal keeps no database: the partner's
token lives in the signed, HttpOnly session cookie, and every read goes to that partner's own requests
service with it, so that service decides what they may see. The portal refuses on top of that: an id
that is not one of the partner's requests is a refusal page, never another partner's data."""
import time
import uuid
from datetime import datetime
from functools import wraps

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext

from samen030.kernel.rate_limit import SlidingWindow

from . import city_api, labels, places
from .i18n import gettext as _

bp = Blueprint("staff", __name__, url_prefix="/medewerkers")
LOGINS_PER_TEN_MINUTES = 10  # from one address, and for one username at one partner
INBOX_SIZE = 50
EXPIRY_MARGIN = 60  # seconds: a token about to expire is not used for a page any more
NOTICES = {  # why the login page is shown again; the session keeps the key, the page says it in the language
    "expired": lazy_gettext("Je sessie is verlopen. Log opnieuw in om verder te gaan."),
    "refused": lazy_gettext("Je organisatie accepteert je sessie niet meer (bijvoorbeeld omdat je account is uitgeschakeld of je "
               "wachtwoord is gewijzigd). Log opnieuw in."),
    "logged_out": lazy_gettext("Je bent uitgelogd."),
    "needed": lazy_gettext("Log in om deze pagina te zien."),
}


def staff_partners() -> dict:
    """The partners whose coordinators can work here: a members service to log in and a requests service."""
    return {p.id: p for p in current_app.config["FEDERATION"].partners.values()
            if "members" in p.services and "requests" in p.services}


def logged_in(view):
    """The page needs a coordinator whose token is still good; else back to the login page, saying why."""
    @wraps(view)
    def page(*args, **kwargs):
        staff = session.get("staff")
        if not staff or staff.get("partner") not in staff_partners():
            session.pop("staff", None)
            return _to_login("needed")
        if staff["expires"] - EXPIRY_MARGIN < time.time():
            return _to_login("expired")
        g.staff = staff
        try:
            return view(*args, **kwargs)
        except city_api.PeerRefused as refused:
            if refused.status == 401:  # expired early, account disabled, password changed: log in again
                return _to_login("refused")
            if refused.status == 403:
                return refusal(403)
            raise
        except city_api.PeerUnavailable:
            return render_template("error.html", status=503, title=_("Even niet bereikbaar"), message=_(
                "De hulpvragen van je organisatie zijn nu niet bereikbaar. Probeer het over een paar minuten "
                "opnieuw.")), 503
    return page


def _to_login(reason: str):
    session.pop("staff", None)
    session["login_notice"] = reason
    return redirect(url_for("staff.login"), 303)


@bp.route("/inloggen", methods=["GET", "POST"])
def login():
    partners = staff_partners()
    values = {"organisatie": (request.form.get("organisatie") or "").strip(),
              "gebruikersnaam": (request.form.get("gebruikersnaam") or "").strip()}
    notice = session.pop("login_notice", None) if request.method == "GET" else None
    if request.method == "GET":
        return render_template("staff/login.html", partners=partners, values=values, errors={},
                               notice=NOTICES.get(notice))
    password = request.form.get("wachtwoord") or ""
    errors = {}
    if values["organisatie"] not in partners:
        errors["organisatie"] = _("Kies je organisatie uit de lijst.")
    if not values["gebruikersnaam"] or len(values["gebruikersnaam"]) > 200:
        errors["gebruikersnaam"] = _("Vul je gebruikersnaam in.")
    if not password or len(password) > 200:
        errors["wachtwoord"] = _("Vul je wachtwoord in.")
    if errors:
        return _login_page(partners, values, errors, 400)
    who = f"{values['organisatie']}:{values['gebruikersnaam'].lower()}"
    if not (_attempts().allow(f"address:{request.remote_addr or '?'}") & _attempts().allow(who)):
        return render_template("staff/login.html", partners=partners, values=values, errors={}, notice=None, wait=_(
            "Je hebt te vaak geprobeerd in te loggen. Wacht tien minuten en probeer het dan opnieuw. Weet je je "
            "wachtwoord niet meer? Vraag een coördinator van je organisatie om een nieuw wachtwoord.")), 429
    try:
        answer = city_api.log_in(values["organisatie"], values["gebruikersnaam"], password)
    except city_api.PeerRefused as refused:
        if refused.status in (401, 422):
            return _login_page(partners, values, {"wachtwoord": _(
                "Je gebruikersnaam of wachtwoord klopt niet, of je account is uitgeschakeld.")}, 401)
        raise
    except city_api.PeerUnavailable:
        return render_template("error.html", status=503, title=_("Even niet bereikbaar"), message=_(
            "Inloggen kan nu niet: je organisatie is niet bereikbaar. Probeer het over een paar minuten opnieuw.")), 503
    if answer is None or answer.get("partner") != values["organisatie"]:
        abort(502)
    if answer["role"] != "coordinator":
        return _login_page(partners, values, {"gebruikersnaam": _(
            "Alleen coördinatoren kunnen hier werken. Vraag een coördinator van je organisatie als je dit nodig hebt.")}, 403)
    session.clear()  # a new session: nothing from before the login stays in it
    session["staff"] = {"partner": answer["partner"], "token": answer["token"], "account": answer["account_id"],
                        "role": answer["role"], "expires": datetime.fromisoformat(answer["expires_at"]).timestamp()}
    current_app.logger.info("portal login: account %s of %s", answer["account_id"], answer["partner"])
    return redirect(url_for("staff.inbox"), 303)


def _login_page(partners, values, errors, status):
    return render_template("staff/login.html", partners=partners, values=values, errors=errors, notice=None), status


@bp.post("/uitloggen")
def logout():
    """The token stays valid at the partner until it expires, but the portal forgets it."""
    return _to_login("logged_out")


@bp.get("/")
@logged_in
def inbox():
    partner, token = g.staff["partner"], g.staff["token"]
    lists = {
        "new": city_api.staff_read(partner, token, "/requests", {"status": "received", "origin": "intake",
                                                                 "per_page": INBOX_SIZE}),
        "overdue": city_api.staff_read(partner, token, "/requests", {"overdue": "true", "per_page": INBOX_SIZE}),
        "incoming": city_api.staff_read(partner, token, "/requests", {"status": "received", "origin": "referral",
                                                                      "per_page": INBOX_SIZE}),
    }
    for page in lists.values():
        for item in page["items"]:
            _describe(item)
    return render_template("staff/inbox.html", lists=lists, partner=staff_partners()[partner])


@bp.get("/hulpvragen/<request_id>")
@logged_in
def request_page(request_id):
    item, status = own_request(request_id)
    if item is None:
        return refusal(status)
    from .staff_requests import page  # the request page and what a coordinator does there (that module needs this one)
    return page(item)


def own_request(request_id: str) -> tuple[dict | None, int]:
    """(the request, 200) when it is one of the logged-in partner's, read at its own requests service with the
    coordinator's token; else (None, 404 or 403): never another partner's data."""
    try:
        request_id = str(uuid.UUID(request_id))
    except ValueError:
        return None, 404
    partner, token = g.staff["partner"], g.staff["token"]
    found = city_api.staff_read(partner, token, f"/requests/{request_id}")
    if found is None:
        return None, 404
    if found.get("partner") != partner or found.get("id") != request_id:  # never show another partner's data
        return None, 403
    return _describe(found), 200


def out_of_reach(exc: city_api.PeerUnavailable, down: str, not_sure: str):
    """The 503 page for a service of the partner that did not answer; for a POST that may have reached it,
    `not_sure`: never "nothing changed" when it may have."""
    if request.method == "POST" and exc.maybe_received:
        return render_template("error.html", status=503, title=_("Geen antwoord op tijd"), message=not_sure), 503
    return render_template("error.html", status=503, title=_("Even niet bereikbaar"), message=down), 503


def refusal(status: int):
    """The same page whether the request is another partner's or does not exist: nothing is given away."""
    return render_template("staff/refused.html", status=status, partner=staff_partners()[g.staff["partner"]]), status


def _describe(item: dict) -> dict:
    item["place"] = places.name_of({"buurt": item["buurt"]}) if item.get("buurt") else ""
    item["category_label"] = labels.category(item.get("category", ""))
    item["referred_by_name"] = partner_names().get(item.get("referred_by") or "", item.get("referred_by"))
    return item


def partner_names() -> dict[str, str]:
    return {p.id: p.name for p in current_app.config["FEDERATION"].partners.values()}


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _attempts() -> SlidingWindow:
    return current_app.extensions.setdefault("samen030.portal-logins", SlidingWindow(
        current_app.config.get("LOGINS_PER_TEN_MINUTES", LOGINS_PER_TEN_MINUTES), 600))


def partner_name() -> str | None:
    """The organisation of the coordinator logged in on this session, for the page header; None for a resident."""
    staff = session.get("staff")
    partner = staff and current_app.config["FEDERATION"].partners.get(staff.get("partner"))
    return partner.name if partner else None
