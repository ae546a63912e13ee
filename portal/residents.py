"""The residents' pages, no login: search the city's aanbod, one offer, and "Stel je vraag" (a question
to the partner they choose, or the one of their buurt) with its confirmation."""
import re
from datetime import datetime, timezone

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from samen030.kernel.geography import buurten
from samen030.kernel.rate_limit import SlidingWindow

from . import city_api, labels, places
from .i18n import COOKIE, gettext as _, languages
from .questions import QuestionForm

bp = Blueprint("residents", __name__)
RETURN_REFUSED = re.compile(r"[\x00-\x1f\x7f\\]")  # control characters and backslashes in a return address
PER_PAGE = 10
SPOKEN = ("nl", "en", "ar", "tr", "pl", "so", "ti", "uk", "fa", "fr", "es", "de")  # ISO 639-1, as the offers say
QUESTIONS_PER_TEN_MINUTES = 5  # from one address; the partner's requests service has its own limit too


@bp.get("/")
def home():
    return render_template("home.html", categories=labels.CATEGORIES, form=SearchForm.of(request.args), places=places,
                           spoken=SPOKEN)


class SearchForm:
    """The search's fields as the resident gave them, checked; `errors` in plain words."""

    def __init__(self, q="", waar="", categorie="", nu_open=False, taal="", gratis=False, pagina=1):
        self.q, self.waar, self.categorie, self.nu_open = q, waar, categorie, nu_open
        self.taal, self.gratis, self.pagina, self.errors, self.place = taal, gratis, pagina, {}, None

    @classmethod
    def of(cls, args) -> "SearchForm":
        form = cls(args.get("q", "").strip()[:200], args.get("waar", "").strip()[:100], args.get("categorie", ""),
                   args.get("nu_open") == "ja", args.get("taal", ""), args.get("gratis") == "ja")
        if form.categorie and form.categorie not in labels.CATEGORIES:
            form.errors["categorie"], form.categorie = _("Kies een onderwerp uit de lijst."), ""
        if form.taal and form.taal not in SPOKEN:
            form.errors["taal"], form.taal = _("Kies een taal uit de lijst."), ""
        try:
            form.pagina = min(max(int(args.get("pagina", 1)), 1), 1000)
        except ValueError:
            form.pagina = 1
        try:
            form.place = places.find(form.waar)
        except places.UnknownPlace:
            form.errors["waar"] = _("We kennen geen wijk of buurt die zo heet. Kies een naam uit de lijst, "
                                    "bijvoorbeeld Kanaleneiland-Noord of Zuidwest.")
        return form

    def query(self) -> dict:
        params = {"q": self.q, "page": self.pagina, "per_page": PER_PAGE}
        params |= self.place.filter if self.place else {}
        params |= {"category": self.categorie} if self.categorie else {}
        params |= {"open_now": "true"} if self.nu_open else {}
        params |= {"language": self.taal} if self.taal else {}
        params |= {"free": "true"} if self.gratis else {}
        return params

    def link(self, **changes) -> str:
        args = {"q": self.q, "waar": self.waar, "categorie": self.categorie, "nu_open": "ja" if self.nu_open else "",
                "taal": self.taal, "gratis": "ja" if self.gratis else "", "pagina": self.pagina} | changes
        return url_for("residents.results", **{k: v for k, v in args.items() if v not in ("", None, 1)})


@bp.get("/aanbod")
def results():
    form = SearchForm.of(request.args)
    if form.errors:
        return render_template("results.html", form=form, page=None, spoken=SPOKEN, places=places,
                               categories=labels.CATEGORIES), 400
    try:
        page = city_api.search(form.query())
    except city_api.PeerUnavailable:
        return _unavailable()
    except city_api.PeerRefused:
        abort(400)
    names = _partner_names()
    for item in page["items"]:
        item["partner_name"] = names.get(item["partner"], item["partner"])
        item["place"] = places.name_of({"buurt": item["buurt"]})
        item["age"] = _age(item["freshness"].get("last_event_at"))
    return render_template("results.html", form=form, page=page, spoken=SPOKEN, places=places,
                           categories=labels.CATEGORIES)


@bp.get("/aanbod/<offer_id>")
def offer(offer_id):
    try:
        found = city_api.offer(offer_id)
    except city_api.PeerRefused:
        abort(404)
    except city_api.PeerUnavailable:
        return _unavailable()
    if found is None:
        abort(404)
    details = city_api.offer_details(found["partner"], found["id"]) or {}
    partner = current_partner(found["partner"])
    return render_template("offer.html", offer=found, details=details, partner=partner,
                           place=places.name_of({"buurt": found["buurt"]}), age=_age(found["freshness"].get("last_event_at")),
                           category=labels.category(found["category"]), days=labels.days, buurten=buurten())


@bp.route("/vraag", methods=["GET", "POST"])
def ask():
    """One form, then "check your answers", then sent; `stap` says which."""
    source = request.form if request.method == "POST" else request.args
    form = QuestionForm.of(source, partners={p.id: p for p in _federation().partners.values() if "requests" in p.services})
    if not form.partners:
        return _unavailable(_("Vragen stellen kan hier nog niet: geen organisatie neemt vragen aan via de website."))
    if request.method == "GET":
        return render_template("question.html", form=form.prefilled(), labels=labels, places=places)
    step = request.form.get("stap")
    if step == "wijzigen" or not form.valid():
        return render_template("question.html", form=form, labels=labels, places=places), 200 if step == "wijzigen" else 400
    if step != "versturen":
        return render_template("check.html", form=form, labels=labels,
                               partner_name=_federation().partners[form.partner_for()].name)
    sender = request.remote_addr or "?"
    if not _asking().allow(sender):
        return render_template("error.html", status=429, title=_("Even wachten"), message=_(
            "Je hebt net al een paar vragen gestuurd. Probeer het over een paar minuten opnieuw, of bel of "
            "loop binnen bij de organisatie.")), 429
    partner = form.partner_for()
    try:
        answer = city_api.ask(partner, form.question())
    except city_api.PeerUnavailable:
        return _unavailable(_("Je vraag is nog niet verstuurd: de organisatie is nu niet bereikbaar. Probeer het "
                              "later opnieuw."))
    except city_api.PeerRefused as refused:
        if refused.status == 429:
            return render_template("error.html", status=429, title=_("Even wachten"), message=_(
                "Er komen nu veel vragen binnen. Probeer het over een paar minuten opnieuw.")), 429
        form.errors["vraag"] = _("Je vraag kon niet worden verstuurd. Kijk je antwoorden na en probeer het opnieuw.")
        return render_template("question.html", form=form, labels=labels, places=places), 400
    session["sent"] = {"reference": answer["reference"], "partner": partner, "due": answer["first_contact_due"],
                       "consents": form.consents}
    return redirect(url_for("residents.sent"), 303)


@bp.get("/vraag/verstuurd")
def sent():
    done = session.get("sent")
    if not done:
        return redirect(url_for("residents.ask"))
    due = datetime.fromisoformat(done["due"])
    return render_template("sent.html", done=done, due=due, partner=current_partner(done["partner"]), labels=labels)


@bp.get("/taal/<code>")
def language(code):
    back = request.args.get("terug", "/")
    # a page of the portal only: browsers drop tabs and newlines in a URL ("/\t/host" would be //host) and read
    # a backslash as a slash, and a newline cannot be a header
    if not back.startswith("/") or back.startswith("//") or RETURN_REFUSED.search(back):
        back = "/"
    response = redirect(back, 303)
    if code in languages():
        response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=request.is_secure)
    return response


def _asking() -> SlidingWindow:
    return current_app.extensions.setdefault("samen030.portal-questions", SlidingWindow(
        current_app.config.get("QUESTIONS_PER_TEN_MINUTES", QUESTIONS_PER_TEN_MINUTES), 600))


def current_partner(partner_id: str):
    return _federation().partners.get(partner_id)


def _federation():
    return current_app.config["FEDERATION"]


def _partner_names() -> dict[str, str]:
    return {p.id: p.name for p in _federation().partners.values()}


def _age(moment: str | None):
    if not moment:
        return None
    when = datetime.fromisoformat(moment)
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc) - when


def _unavailable(message: str | None = None):
    return render_template("error.html", status=503, title=_("Even niet bereikbaar"), message=message or _(
        "De stadsgids is nu niet bereikbaar. Probeer het over een paar minuten opnieuw.")), 503
