"""The members API. Every endpoint, reads included, needs a coordinator of this partner (app.py):
members are personal data."""
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from samen030.kernel import peers
from samen030.kernel.web import PageArgs, existing_id, page_of, page_schema, service_db, service_partner

from . import consents, members as use_cases, personal_data, publishing
from .schemas import (PURPOSES, ConsentSchema, ExportSchema, InForceSchema, MemberQuerySchema, MemberSchema,
                      WithdrawalSchema, member_update_schema)

blp = Blueprint("members", __name__, url_prefix="/members", description="The partner's members (leden)")
MemberPage = page_schema(MemberSchema)
SECURITY = [{"bearer": []}]


@blp.record_once
def _catch_up_on_start(state) -> None:
    """A database of an earlier release publishes its listed volunteers and counts when the service starts,
    not at its first change (publishing.begin_publishing)."""
    publishing.catch_up(state.app.extensions["samen030.db"], state.app.config["PARTNER"])


def _with_partner(row: dict) -> dict:
    return {**row, "partner": service_partner()}


def _not_found(member_id: str):
    abort(404, message=f"Geen lid {member_id[:64]!r} bij {service_partner()} (no such member).")


def _member_id(member_id: str) -> str:
    """The member's id, or a 404 when there is no such member."""
    checked = existing_id(member_id, "member")
    if use_cases.get_member(service_db(), checked) is None:
        _not_found(member_id)
    return checked


@blp.route("")
class Members(MethodView):
    @blp.arguments(MemberQuerySchema, location="query")
    @blp.arguments(PageArgs, location="query", as_kwargs=True)
    @blp.response(200, MemberPage)
    @blp.doc(security=SECURITY)
    def get(self, filters, page, per_page):
        """List the partner's members"""
        rows, total = use_cases.find_members(service_db(), page, per_page, **filters)
        return page_of([_with_partner(r) for r in rows], total, page, per_page)

    @blp.arguments(MemberSchema)
    @blp.response(201, MemberSchema)
    @blp.doc(security=SECURITY)
    def post(self, fields):
        """Register a member"""
        try:
            return _with_partner(use_cases.register_member(service_db(), service_partner(), fields, g.principal.user))
        except use_cases.InvalidChange as exc:
            abort(422, errors={"json": exc.errors}, message="Het lid is niet geregistreerd (not registered).")


@blp.route("/<member_id>")
class Member(MethodView):
    @blp.response(200, MemberSchema)
    @blp.doc(security=SECURITY)
    def get(self, member_id):
        """Show one member"""
        row = use_cases.get_member(service_db(), existing_id(member_id, "member"))
        if row is None:
            _not_found(member_id)
        return _with_partner(row)

    @blp.arguments(member_update_schema())
    @blp.response(200, MemberSchema)
    @blp.doc(security=SECURITY)
    def patch(self, changes, member_id):
        """Change a member; send the version you changed"""
        try:
            row = use_cases.update_member(service_db(), service_partner(), existing_id(member_id, "member"), changes,
                                          g.principal.user)
        except (use_cases.StaleVersion, use_cases.Erased) as exc:
            abort(409, message=str(exc))
        except use_cases.InvalidChange as exc:
            abort(422, errors={"json": exc.errors}, message="De wijziging is niet doorgevoerd (not changed).")
        if row is None:
            _not_found(member_id)
        return _with_partner(row)


@blp.route("/<member_id>/consents")
class Consents(MethodView):
    @blp.response(200, ConsentSchema(many=True))
    @blp.doc(security=SECURITY)
    def get(self, member_id):
        """A member's consents, given and withdrawn, oldest first"""
        return consents.history(service_db(), _member_id(member_id))

    @blp.arguments(ConsentSchema)
    @blp.response(201, ConsentSchema)
    @blp.doc(security=SECURITY)
    def post(self, fields, member_id):
        """Record a consent the member gave"""
        try:
            return consents.give_consent(service_db(), service_partner(), existing_id(member_id, "member"), fields, g.principal.user)
        except consents.NoMember:
            _not_found(member_id)
        except use_cases.Erased as exc:
            abort(409, message=str(exc))


@blp.route("/<member_id>/consents/<consent_id>/withdraw", methods=["POST"])
@blp.arguments(WithdrawalSchema)
@blp.response(200, ConsentSchema)
@blp.doc(security=SECURITY, summary="Withdraw a consent")
def withdraw(body, member_id, consent_id):
    try:
        consent = consents.withdraw_consent(service_db(), service_partner(), _member_id(member_id),
                                            existing_id(consent_id, "consent"), body["how"], body["withdrawn_at"])
    except consents.InvalidWithdrawal as exc:
        abort(409 if "consent_id" in exc.errors else 422, errors={"json": exc.errors}, message=str(exc))
    if consent is None:
        abort(404, message=f"Geen toestemming {consent_id[:64]!r} van dit lid (no such consent).")
    return consent


@blp.route("/<member_id>/consents/<purpose>", methods=["GET"])
@blp.response(200, InForceSchema)
@blp.doc(security=SECURITY, summary="Whether the member's consent for a purpose is in force now",
         description=f"For services that must ask before they act. Purposes: {', '.join(PURPOSES)}.")
def consent_in_force(member_id, purpose):
    if purpose not in PURPOSES:
        abort(404, message=f"Onbekend doel {purpose[:64]!r} (unknown purpose): {', '.join(PURPOSES)}.")
    return consents.in_force(service_db(), _member_id(member_id), purpose)


@blp.route("/<member_id>/export", methods=["GET"])
@blp.response(200, ExportSchema)
@blp.doc(security=SECURITY, summary="Everything the partner holds about the member (AVG inzage)",
         description="The member, their consents and their help requests at the partner's requests service (with "
                     "history, consents, referrals and what each shared). 503 when that service does not answer.")
def export(member_id):
    try:
        document = personal_data.export_member(service_db(), service_partner(), existing_id(member_id, "member"))
    except peers.PeerUnavailable as exc:
        abort(503, message=f"{exc} Zonder de hulpvragen is er geen volledige export; probeer het opnieuw "
                           f"(no export without the member's requests; retry).")
    except peers.PeerRefused as exc:
        abort(502, message=str(exc))
    if document is None:
        _not_found(member_id)
    return {**document, "member": _with_partner(document["member"])}


@blp.route("/<member_id>/erase", methods=["POST"])
@blp.response(200, MemberSchema)
@blp.doc(security=SECURITY, summary="Erase the member's personal data (AVG); the anonymous record stays")
def erase(member_id):
    row = personal_data.erase_member(service_db(), service_partner(), existing_id(member_id, "member"), g.principal.user)
    if row is None:
        _not_found(member_id)
    return _with_partner(row)
