"""The requests API. Every endpoint needs a coordinator of this partner (app.py), except the handover
of a referral, which another partner's requests service makes."""
from datetime import datetime, timezone

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from samen030.kernel.web import PageArgs, existing_id, page_of, page_schema, service_db, service_partner

from . import consents, help_requests as use_cases, incoming, peers, referrals, suggestions as suggesting
from .followup import is_overdue
from .lifecycle import API_ACTIONS, LABELS, InvalidTransition, possible_actions
from .schemas import (ConsentRecordSchema, DroppedCopySchema, HandoverAnswerSchema, HandoverSchema, IntakeSchema, MoveSchema,
                      ReferralSchema, ReferSchema, RequestQuerySchema, RequestSchema, TransitionSchema)

blp = Blueprint("requests", __name__, url_prefix="/requests", description="The partner's help requests (hulpvragen)")
inbound = Blueprint("incoming-referrals", __name__, url_prefix="/incoming-referrals",
                    description="Referrals handed over by other partners' requests services")
RequestPage = page_schema(RequestSchema)
SECURITY = [{"bearer": []}]


def _shown(request: dict) -> dict:
    return {**request, "partner": service_partner(), "status_label": LABELS[request["status"]],
            "possible_actions": possible_actions(request["status"], request["origin"] == "referral"),
            "overdue": is_overdue(request, datetime.now(timezone.utc))}


def _request_id(request_id: str) -> str:
    """The request's id, or a 404 when there is no such request here."""
    checked = existing_id(request_id, "request")
    if use_cases.get_request(service_db(), checked) is None:
        _not_found(request_id)
    return checked


def _not_found(request_id: str):
    abort(404, message=f"Geen hulpvraag {request_id[:64]!r} bij {service_partner()} (no such request).")


def _unavailable(exc: Exception):
    abort(503, message=f"{exc} Er is niets veranderd; probeer het opnieuw (nothing changed; retry).")


@blp.route("")
class Requests(MethodView):
    @blp.arguments(RequestQuerySchema, location="query")
    @blp.arguments(PageArgs, location="query", as_kwargs=True)
    @blp.response(200, RequestPage)
    @blp.doc(security=SECURITY)
    def get(self, filters, page, per_page):
        """List the partner's requests; `overdue=true` for those past their first-contact deadline"""
        rows, total = use_cases.find_requests(service_db(), page, per_page, **filters)
        return page_of([_shown(r) for r in rows], total, page, per_page)

    @blp.arguments(IntakeSchema)
    @blp.response(201, RequestSchema)
    @blp.doc(security=SECURITY)
    def post(self, fields):
        """Take in a resident's question (intake)"""
        fields["member_id"] = fields["member_id"] and str(fields["member_id"])
        try:
            if fields["member_id"]:
                consents.check_member(service_partner(), fields["member_id"])
        except consents.UnknownMember as exc:
            abort(422, errors={"json": {"member_id": [str(exc)]}}, message=str(exc))
        except peers.PeerUnavailable as exc:
            _unavailable(exc)
        except peers.PeerRefused as exc:
            abort(502, message=str(exc))
        return _shown(use_cases.take_in(service_db(), service_partner(), fields, g.principal.user))


@blp.route("/<request_id>")
@blp.response(200, RequestSchema)
@blp.doc(security=SECURITY, summary="Show one request")
def show(request_id):
    request = use_cases.get_request(service_db(), existing_id(request_id, "request"))
    if request is None:
        _not_found(request_id)
    return _shown(request)


@blp.route("/<request_id>/history")
@blp.response(200, TransitionSchema(many=True))
@blp.doc(security=SECURITY, summary="Every move of the request: who, when, why")
def history(request_id):
    return use_cases.history(service_db(), _request_id(request_id))


@blp.route("/<request_id>/consents")
@blp.response(200, ConsentRecordSchema(many=True))
@blp.doc(security=SECURITY, summary="The consents given at intake, and when they were withdrawn")
def consent_history(request_id):
    return consents.history(service_db(), _request_id(request_id))


@blp.route("/<request_id>/consents/<purpose>/withdraw", methods=["POST"])
@blp.response(200, ConsentRecordSchema(many=True))
@blp.doc(security=SECURITY, summary="The resident withdraws a consent given at intake")
def withdraw_consent(request_id, purpose):
    if purpose not in consents.PURPOSES:
        abort(404, message=f"Onbekend doel {purpose[:64]!r} (unknown purpose): {', '.join(consents.PURPOSES)}.")
    history = consents.withdraw(service_db(), _request_id(request_id), purpose)
    if history is None:
        abort(409, message=f"Er is geen toestemming {purpose!r} van kracht (no such consent in force).")
    return history


def _move_view(action: str):
    @blp.route(f"/<request_id>/{action}", methods=["POST"], endpoint=action)
    @blp.arguments(MoveSchema)
    @blp.response(200, RequestSchema)
    @blp.doc(security=SECURITY, summary=f"{action.capitalize()} the request (see the states in services/requests/README.md)")
    def view(body, request_id):
        try:
            request = use_cases.move(service_db(), service_partner(), existing_id(request_id, "request"), action, g.principal.user,
                                     body["reason"], body["version"])
        except (InvalidTransition, use_cases.StaleVersion) as exc:
            abort(409, message=str(exc))
        if request is None:
            _not_found(request_id)
        return _shown(request)
    return view


for _action in API_ACTIONS:
    if _action != "refer":
        _move_view(_action)


@blp.route("/<request_id>/refer", methods=["POST"])
@blp.arguments(ReferSchema)
@blp.response(201, ReferralSchema)
@blp.doc(security=SECURITY, summary="Refer the request to another partner's offer or volunteer (warm handover)",
         description="Give offer_id (an offer from the city directory) or volunteer_id (another partner's volunteer "
                     "from the suggestions: their partner asks them, and accepts when they agree). "
                     "With the resident's consent the question and the contact details it covers go to the other "
                     "partner's requests service; without it only the anonymous question goes, and the answer "
                     "holds the other partner's contact details for the resident. 503 when the other partner "
                     "is down or does not answer in time, 409 when the request or the consent changed during the "
                     "handover: the request is not referred, and whatever reached the other partner is taken back "
                     "(the message says whether that is done).")
def refer(body, request_id):
    try:
        referral = referrals.refer(service_db(), service_partner(), existing_id(request_id, "request"),
                                   body["offer_id"] and str(body["offer_id"]), body["reason"], g.principal.user,
                                   body["volunteer_id"] and str(body["volunteer_id"]), body["expected_shared"])
    except InvalidTransition as exc:
        abort(409, message=str(exc))
    except referrals.NotReferred as exc:
        abort(exc.status, message=str(exc))
    except referrals.CannotRefer as exc:
        abort(422, errors={"json": exc.errors}, message=str(exc))
    except peers.PeerUnavailable as exc:
        _unavailable(exc)
    except peers.PeerRefused as exc:
        abort(502, message=str(exc))
    if referral is None:
        _not_found(request_id)
    return referral


@blp.route("/<request_id>/referrals")
@blp.response(200, ReferralSchema(many=True))
@blp.doc(security=SECURITY, summary="The request's referrals, with what was shared")
def request_referrals(request_id):
    return referrals.list_referrals(service_db(), _request_id(request_id))


@blp.route("/<request_id>/referral-preview")
@blp.response(200)
@blp.doc(security=SECURITY, summary="What a referral of the request would share now, given the resident's consents",
         description="consents: each purpose and whether it holds now (a member's are asked at the members "
                     "service); shared: the personal data a referral would take along (as `refer` decides it); "
                     "always: the fields without personal data that always go. 503 when the members service "
                     "does not answer.")
def referral_preview(request_id):
    request = use_cases.get_request(service_db(), _request_id(request_id))
    try:
        held = consents.in_force(service_db(), service_partner(), request)
    except peers.PeerUnavailable as exc:
        _unavailable(exc)
    except peers.PeerRefused as exc:
        abort(502, message=str(exc))
    return {"request_id": request["id"], "consents": held,
            "shared": referrals.what_may_be_shared(held, request) if request["erased_at"] is None else [],
            "always": list(referrals.ALWAYS_SHARED)}


@blp.route("/<request_id>/suggestions")
@blp.response(200)
@blp.doc(security=SECURITY, summary="Offers and volunteers that fit the request, with the reasons",
         description="offers: the whole city's; volunteers: this partner's own who agreed to be suggested; "
                     "volunteers_elsewhere: other partners' in the wijk, as anonymous profiles; notes: what "
                     "could not be asked. 503 when the gateway does not answer.")
def suggestions(request_id):
    request = use_cases.get_request(service_db(), _request_id(request_id))
    try:
        return suggesting.for_request(service_partner(), request)
    except peers.PeerUnavailable as exc:
        _unavailable(exc)
    except (peers.PeerRefused, suggesting.NoAnswer) as exc:
        abort(502, message=str(exc))


@inbound.route("", methods=["POST"])
@inbound.arguments(HandoverSchema)
@inbound.response(201, HandoverAnswerSchema)
@inbound.doc(security=SECURITY, summary="Another partner hands over a referral (point to point)",
             description="Only for another partner's requests service, with its service token for "
                         "`referral.handover`. The same referral_id again answers 200 with the request made the first time.")
def receive_referral(handover):
    handover["referral_id"] = str(handover["referral_id"])
    handover["offer_id"] = handover["offer_id"] and str(handover["offer_id"])
    handover["volunteer_id"] = handover["volunteer_id"] and str(handover["volunteer_id"])
    referral_id = handover["referral_id"]
    try:
        request, created = incoming.receive(service_db(), service_partner(), g.principal.partner, handover, g.principal.user)
    except incoming.NotYours as exc:
        abort(409, message=str(exc))
    received = [f for f in incoming.SHAREABLE if request.get(f)]
    return {"request_id": request["id"], "referral_id": referral_id, "received": received}, 201 if created else 200


@inbound.route("/<referral_id>/cancel", methods=["POST"])
@inbound.response(200, DroppedCopySchema)
@inbound.doc(security=SECURITY, summary="The referrer takes back a handover it could not complete",
             description="Only for the partner that handed the referral over, with its service token for "
                         "`referral.cancel`. The request made for it is withdrawn and its personal data erased; "
                         "404 when that partner handed over no such referral (yet).")
def drop_copy(referral_id):
    dropped = incoming.drop_copy(service_db(), service_partner(), g.principal.partner,
                                 existing_id(referral_id, "referral"))
    if dropped is None:
        abort(404, message=f"Geen doorverwijzing {referral_id[:64]!r} van {g.principal.partner} (no such referral).")
    return dropped
