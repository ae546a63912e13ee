"""A coordinator's page of their partner's staff accounts: the list, adding one (username, display name,
role, starting password), disabling and enabling. The partner's members service keeps the accounts and
its rules (a username once, the last active coordinator stays); the portal says its refusals in Dutch.
Only coordinators log in to the portal (staff.login), and the service itself lets only coordinators
manage accounts."""
import re
import uuid

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext

from . import city_api
from .i18n import gettext as _
from .staff_members import members_page
from .staff import staff_partners

bp = Blueprint("staff_accounts", __name__, url_prefix="/medewerkers/accounts")
ROLES = {"coordinator": lazy_gettext("Coördinator"), "volunteer": lazy_gettext("Vrijwilliger")}
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%+@-]{2,199}$")  # as the members service checks it
MIN_PASSWORD, MAX_PASSWORD = 10, 200
PER_PAGE = 200


def _call(method: str, path: str, body: dict | None = None, params: dict | None = None):
    return city_api.members_call(g.staff["partner"], g.staff["token"], method, path, json=body, params=params)


def _list_page(errors: dict | None = None, status: int = 200):
    found = _call("GET", "/accounts", params={"per_page": PER_PAGE}) or {"items": [], "total_items": 0}
    return render_template("staff/accounts.html", accounts=found["items"], roles=ROLES, errors=errors or {},
                           partner=staff_partners()[g.staff["partner"]], done=request.args.get("gedaan")), status


@bp.get("/")
@members_page
def accounts():
    return _list_page()


@bp.route("/nieuw", methods=["GET", "POST"])
@members_page
def add():
    fields = ("gebruikersnaam", "weergavenaam", "rol")
    values = {name: (request.form.get(name) or "").strip() for name in fields}
    if request.method == "GET":
        return render_template("staff/account_new.html", values={**values, "rol": "volunteer"}, errors={}, roles=ROLES)
    password = request.form.get("wachtwoord") or ""
    errors = {}
    if not USERNAME.match(values["gebruikersnaam"]):
        errors["gebruikersnaam"] = _("Vul een gebruikersnaam in van 3 tot 200 tekens: letters, cijfers of . _ % + @ - "
                                     "(bijvoorbeeld een e-mailadres).")
    if len(values["weergavenaam"]) > 200:
        errors["weergavenaam"] = _("Een naam is hoogstens 200 tekens.")
    if values["rol"] not in ROLES:
        errors["rol"] = _("Kies een rol.")
    if len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD or not password.strip():
        errors["wachtwoord"] = _("Kies een startwachtwoord van minstens 10 en hoogstens 200 tekens.")
    if not errors:
        try:
            made = _call("POST", "/accounts", {"username": values["gebruikersnaam"], "password": password,
                                               "role": values["rol"], "display_name": values["weergavenaam"] or None})
        except city_api.MembersRefused as refused:
            if refused.status not in (409, 422):
                raise
            if "username" in refused.errors:
                errors["gebruikersnaam"] = _("Deze gebruikersnaam is al in gebruik. Kies een andere.")
            elif "password" in refused.errors:
                errors["wachtwoord"] = _("Kies een startwachtwoord van minstens 10 en hoogstens 200 tekens.")
            else:
                errors["gebruikersnaam"] = _("De ledenadministratie heeft het account niet aangemaakt. Controleer wat "
                                             "je invulde.")
        else:
            current_app.logger.info("portal: account %s added at %s", made["id"], g.staff["partner"])
            return redirect(url_for("staff_accounts.accounts", gedaan="toegevoegd"), 303)
    return render_template("staff/account_new.html", values=values, errors=errors, roles=ROLES), 400


@bp.post("/<account_id>/<action>")
@members_page
def switch(account_id, action):
    """Disable (`uitschakelen`) or enable (`inschakelen`) an account of the partner."""
    endpoint = {"uitschakelen": "disable", "inschakelen": "enable"}.get(action)
    try:
        account_id = str(uuid.UUID(account_id))
    except ValueError:
        endpoint = None
    if endpoint is None:
        return _list_page({"account": _("Dit account bestaat niet bij je organisatie.")}, 404)
    try:
        changed = _call("POST", f"/accounts/{account_id}/{endpoint}")
    except city_api.MembersRefused as refused:
        if refused.status != 409:
            raise
        return _list_page({"account": _("Dit is het laatste coördinatoraccount dat aan staat. Zet eerst een ander "
                                        "coördinatoraccount aan of maak er een, anders kan niemand de accounts meer "
                                        "beheren.")}, 409)
    if changed is None:
        return _list_page({"account": _("Dit account bestaat niet bij je organisatie.")}, 404)
    current_app.logger.info("portal: account %s %s at %s", account_id, endpoint + "d", g.staff["partner"])
    return redirect(url_for("staff_accounts.accounts", gedaan="uit" if endpoint == "disable" else "aan"), 303)
