"""The city cooperative's page, "Cijfers voor de stad": help requests per wijk, buurt, category and
partner (a chart drawn on the server as SVG, with the same numbers in a table beside it), the referrals
between partners, the partners' status (how fresh their data is, whether they answer) and the figures
as a CSV download. Filters are a GET form: a period, a wijk, a category, a partner.

It is public, like the gateway's figures it shows: /api/v1/figures/requests and /api/v1/partners need
no token, and they hold counts only — never a person (gateway/request_figures.py)."""
from datetime import date, datetime, timezone

from flask import Blueprint, Response, current_app, render_template, request, url_for

from samen030.kernel.geography import wijken

from . import city_api, labels, places
from .i18n import gettext as _

bp = Blueprint("city_figures", __name__, url_prefix="/stad")
GROUPS = {"wijk": "wijk", "buurt": "buurt", "categorie": "category", "organisatie": "partner"}  # form → gateway
CHART_ROWS = 20  # the chart shows the largest; the table has them all


def group_names() -> dict:
    return {"wijk": _("Wijk"), "buurt": _("Buurt"), "categorie": _("Onderwerp"), "organisatie": _("Organisatie")}


class FiguresForm:
    """The filters as the visitor gave them, checked; `errors` in plain words, per field."""

    def __init__(self, args, partners: dict):
        self.values = {name: (args.get(name) or "").strip()[:40] for name in
                       ("van", "tot", "wijk", "categorie", "organisatie", "indeling")}
        self.errors, self.params = {}, {}
        for name, key in (("van", "from"), ("tot", "until")):
            if text := self.values[name]:
                try:
                    self.params[key] = date.fromisoformat(text).isoformat()
                except ValueError:
                    self.errors[name] = _("Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-03-01.")
        if "from" in self.params and "until" in self.params and self.params["from"] > self.params["until"]:
            self.errors["tot"] = _("De einddatum ligt vóór de begindatum. Kies een einddatum op of na de begindatum.")
        choices = (("wijk", "wijk", wijken(), _("Kies een wijk uit de lijst.")),
                   ("categorie", "category", labels.CATEGORIES, _("Kies een onderwerp uit de lijst.")),
                   ("organisatie", "partner", partners, _("Kies een organisatie uit de lijst.")))
        for name, key, known, message in choices:
            if value := self.values[name]:
                if value in known:
                    self.params[key] = value
                else:
                    self.errors[name] = message
        if self.values["indeling"] not in GROUPS:
            if self.values["indeling"]:
                self.errors["indeling"] = _("Kies een indeling uit de lijst.")
            self.values["indeling"] = "wijk"

    def link(self, endpoint: str) -> str:
        return url_for(endpoint, **{k: v for k, v in self.values.items() if v and not (k == "indeling" and v == "wijk")})


def _partners() -> dict:
    return {p.id: p for p in current_app.config["FEDERATION"].partners.values()}


@bp.get("/cijfers")
def page():
    partners = _partners()
    form = FiguresForm(request.args, partners)
    if form.errors:
        return _page(form, partners, None, None, 400)
    try:
        figures = city_api.figures(form.params)
        status = city_api.partners()
    except city_api.PeerUnavailable:
        return _unavailable()
    except city_api.PeerRefused:
        form.errors["van"] = _("Voor deze keuzes kunnen we geen cijfers maken. Kies een periode in de jaren "
                               "waarover SAMEN030 cijfers heeft en kies de andere filters uit de lijsten.")
        return _page(form, partners, None, None, 400)
    return _page(form, partners, figures, status, 200)


@bp.get("/cijfers.csv")
def download():
    form = FiguresForm(request.args, _partners())
    if form.errors:
        return render_template("error.html", status=400, title=_("Deze cijfers kunnen we niet maken"),
                               message=" ".join(form.errors.values())), 400
    try:
        body, disposition = city_api.figures_csv(form.params)
    except city_api.PeerUnavailable:
        return _unavailable()
    except city_api.PeerRefused:
        return render_template("error.html", status=400, title=_("Deze cijfers kunnen we niet maken"), message=_(
            "Kies een periode in de jaren waarover SAMEN030 cijfers heeft.")), 400
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": disposition or 'attachment; filename="hulpvragen.csv"'})


def _page(form, partners, figures, status, code):
    group = form.values["indeling"]
    rows = _rows(figures, group) if figures else []
    chart = sorted(rows, key=lambda r: -r["all"])[:CHART_ROWS]
    return render_template(
        "city/figures.html", form=form, partners=partners, figures=figures, rows=rows, chart=chart,
        largest=max([r["all"] for r in chart] or [0]), group=group, group_names=group_names(),
        wijk_options=sorted((places.wijk_name(code), code) for code in wijken()), categories=labels.CATEGORIES,
        totals=_totals(figures) if figures else None, flows=figures["referrals"] if figures else [],
        status=_status(status, partners) if status is not None else [],
        csv_link=form.link("city_figures.download")), code


def _rows(figures: dict, group: str) -> list[dict]:
    rows = []
    for row in figures[f"by_{GROUPS[group]}"]:
        name = row["name"]
        if group == "wijk" and row["code"] in wijken():
            name = places.wijk_name(row["code"])
        elif group == "categorie":
            name = labels.category(row["code"])
        elif not row["code"]:
            name = _("onbekend")
        rows.append({**row, "name": name, "all": row["received"] + row["received_by_referral"]})
    return rows


def _totals(figures: dict) -> list[tuple[str, object]]:
    t = figures["totals"]
    return [(_("Vragen binnengekomen"), t["received"] + t["received_by_referral"]),
            (_("waarvan via een doorverwijzing"), t["received_by_referral"]),
            (_("Doorverwezen naar een andere organisatie"), t["referred"]),
            (_("Doorverwijzingen aangenomen"), t["referrals_accepted"]),
            (_("Doorverwijzingen afgewezen"), t["referrals_declined"]),
            (_("Doorverwijzingen nog zonder antwoord"), t["referrals_pending"]),
            (_("Nu te laat voor het eerste contact"), t["overdue_now"]),
            (_("Mediaan uren tot eerste contact"), _hours(t["median_hours_to_first_contact"])),
            (_("Mediaan uren tot opgelost"), _hours(t["median_hours_to_resolution"]))]


def _hours(value) -> str:
    return "—" if value is None else f"{value:g}".replace(".", ",")


def _status(found: dict, partners: dict) -> list[dict]:
    now = datetime.now(timezone.utc)
    rows = []
    for partner_id in partners:
        seen = found.get(partner_id) or {}
        last = seen.get("last_event_at") and datetime.fromisoformat(seen["last_event_at"])
        age = now - (last if last.tzinfo else last.replace(tzinfo=timezone.utc)) if last else None
        rows.append({"id": partner_id, "name": seen.get("name") or partners[partner_id].name,
                     "reachable": bool(seen.get("reachable")), "stale": bool(seen.get("stale", True)),
                     "age": age, "events": seen.get("events_applied", 0), "link": seen.get("link")})
    return rows


def _unavailable():
    return render_template("error.html", status=503, title=_("Even niet bereikbaar"), message=_(
        "De cijfers van de stad zijn nu niet bereikbaar. Probeer het over een paar minuten opnieuw.")), 503
