"""Staff accounts over HTTP. `/accounts…` needs a coordinator of this partner (app.py, like every members
endpoint); `POST /login` and `POST /login/password` are public and answer every failure alike."""
from datetime import datetime, timezone

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from samen030.kernel.auth import issue_token, token_expiry
from samen030.kernel.web import PageArgs, existing_id, page_of, page_schema, service_db, service_partner

from . import accounts
from .account_schemas import (AccountChangeSchema, AccountQuerySchema, AccountSchema, AccountStatusSchema,
                              LoginSchema, OwnPasswordSchema, PasswordResetSchema, TokenSchema)

blp = Blueprint("accounts", __name__, url_prefix="/accounts",
                description="Staff accounts: the partner's coordinators and volunteers who log in")
login_blp = Blueprint("login", __name__, url_prefix="/login", description="Log in: a token for a staff account")
AccountPage = page_schema(AccountSchema)
SECURITY = [{"bearer": []}]
PUBLIC = ("/login", "/login/password")


def _shown(row: dict | None, account_id: str) -> dict:
    if row is None:
        abort(404, message=f"Geen account {account_id[:64]!r} bij {service_partner()} (no such account).")
    return {**row, "partner": service_partner()}


def _id(account_id: str) -> str:
    return existing_id(account_id, "account")


@blp.route("")
class Accounts(MethodView):
    @blp.arguments(AccountQuerySchema, location="query")
    @blp.arguments(PageArgs, location="query", as_kwargs=True)
    @blp.response(200, AccountPage)
    @blp.doc(security=SECURITY)
    def get(self, filters, page, per_page):
        """List the partner's staff accounts (filters: role, active)"""
        rows, total = accounts.find_accounts(service_db(), page, per_page, **filters)
        return page_of([{**r, "partner": service_partner()} for r in rows], total, page, per_page)

    @blp.arguments(AccountSchema)
    @blp.response(201, AccountSchema)
    @blp.doc(security=SECURITY)
    def post(self, fields):
        """Create a staff account with its initial password"""
        try:
            row = accounts.create_account(service_db(), fields, g.principal.user)
        except accounts.InvalidAccount as exc:
            abort(422, errors={"json": exc.errors}, message="Het account is niet aangemaakt (not created).")
        return _shown(row, row["id"])


@blp.route("/<account_id>")
class Account(MethodView):
    @blp.response(200, AccountSchema)
    @blp.doc(security=SECURITY)
    def get(self, account_id):
        """Show one staff account"""
        return _shown(accounts.get_account(service_db(), _id(account_id)), account_id)

    @blp.arguments(AccountChangeSchema)
    @blp.response(200, AccountSchema)
    @blp.doc(security=SECURITY)
    def patch(self, changes, account_id):
        """Change an account's role, display name or member; a new role ends its sessions"""
        if not changes:
            abort(422, errors={"json": {"_schema": ["Send at least one of role, display_name, member_id."]}},
                  message="Er is niets te wijzigen (nothing to change).")
        try:
            row = accounts.change_account(service_db(), _id(account_id), changes, g.principal.user)
        except accounts.LastCoordinator as exc:
            abort(409, message=str(exc))
        except accounts.InvalidAccount as exc:
            abort(422, errors={"json": exc.errors}, message="Het account is niet gewijzigd (not changed).")
        return _shown(row, account_id)


@blp.route("/<account_id>/disable", methods=["POST"])
@blp.response(200, AccountSchema)
@blp.doc(security=SECURITY, summary="Disable an account: no login, its tokens stop working",
         description="Immediately at this service; at the partner's other services within "
                     "SAMEN030_ACCOUNT_CHECK_SECONDS (30 s). The last active coordinator account cannot be disabled (409).")
def disable(account_id):
    try:
        return _shown(accounts.disable_account(service_db(), _id(account_id), g.principal.user), account_id)
    except accounts.LastCoordinator as exc:
        abort(409, message=str(exc))


@blp.route("/<account_id>/enable", methods=["POST"])
@blp.response(200, AccountSchema)
@blp.doc(security=SECURITY, summary="Enable an account again (tokens from before stay void: log in again)")
def enable(account_id):
    return _shown(accounts.enable_account(service_db(), _id(account_id), g.principal.user), account_id)


@blp.route("/<account_id>/password", methods=["POST"])
@blp.arguments(PasswordResetSchema)
@blp.response(200, AccountSchema)
@blp.doc(security=SECURITY, summary="Set a new password for the account (a reset); ends its sessions")
def reset_password(body, account_id):
    return _shown(accounts.set_password(service_db(), _id(account_id), body["password"], g.principal.user), account_id)


@blp.route("/<account_id>/status", methods=["GET"])
@blp.response(200, AccountStatusSchema)
@blp.doc(security=SECURITY, summary="Whether the account's tokens count (for the partner's other services)")
def account_status(account_id):
    checked = _id(account_id)
    status = accounts.status(service_db(), checked)
    if status is None:
        abort(404, message=f"Geen account {account_id[:64]!r} bij {service_partner()} (no such account).")
    return {"account_id": checked, "active": status.active, "role": status.role,
            "sessions_since_ms": status.sessions_since_ms}


@login_blp.route("", methods=["POST"])
@login_blp.arguments(LoginSchema)
@login_blp.response(200, TokenSchema)
@login_blp.doc(summary="Log in with username and password: a bearer token for this partner",
               description="The token names the account by its id and expires after SAMEN030_TOKEN_HOURS (12). "
                           "Any failure is the same 401. Not rate-limited here: put a limit in the reverse proxy.")
def login(body):
    account = accounts.authenticate(service_db(), body["username"], body["password"])
    if account is None:
        current_app.logger.info("login refused at %s", service_partner())
        abort(401, message=accounts.LOGIN_REFUSED)
    token = issue_token(service_partner(), account["role"], account["id"], account=account["id"])
    expires = token_expiry(token)
    current_app.logger.info("login: account %s (%s) at %s", account["id"], account["role"], service_partner())
    return {"token": token, "token_type": "Bearer", "expires_at": datetime.fromtimestamp(expires, timezone.utc),
            "account_id": account["id"], "partner": service_partner(), "role": account["role"]}


@login_blp.route("/password", methods=["POST"])
@login_blp.arguments(OwnPasswordSchema)
@login_blp.response(204)
@login_blp.doc(summary="Change your own password with your current one; your sessions end, log in again")
def change_own_password(body):
    account = accounts.authenticate(service_db(), body["username"], body["password"])
    if account is None:
        abort(401, message=accounts.LOGIN_REFUSED)
    accounts.set_password(service_db(), account["id"], body["new_password"], account["id"])
