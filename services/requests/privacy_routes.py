"""The AVG (GDPR) endpoints of the requests service, for the partner's coordinators (and its members
service, which gathers a member's requests into the member's export)."""
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from samen030.kernel.web import existing_id, service_db, service_partner

from . import personal_data
from .routes import SECURITY, _not_found, _shown
from .schemas import ConsentRecordSchema, ReferralSchema, RequestSchema, TransitionSchema

blp = Blueprint("requests-avg", __name__, url_prefix="", description="A resident's rights (AVG): export and erasure")


class RequestExportSchema(RequestSchema):
    history = fields.List(fields.Nested(TransitionSchema))
    consents = fields.List(fields.Nested(ConsentRecordSchema))
    referrals = fields.List(fields.Nested(ReferralSchema), metadata={"description": "with what each shared"})


class MemberRequestsSchema(Schema):
    partner = fields.String()
    member_id = fields.String()
    requests = fields.List(fields.Nested(RequestExportSchema))


@blp.route("/members/<member_id>/requests", methods=["GET"])
@blp.response(200, MemberRequestsSchema)
@blp.doc(security=SECURITY, summary="Everything this service holds about a member's requests (AVG inzage)",
         description="For the partner's members service, which puts it in the member's export.")
def member_requests(member_id):
    member_id = existing_id(member_id, "member")
    return {"partner": service_partner(), "member_id": member_id,
            "requests": [_shown(r) for r in personal_data.export_member_requests(service_db(), member_id)]}


@blp.route("/requests/<request_id>/export", methods=["GET"])
@blp.response(200, RequestExportSchema)
@blp.doc(security=SECURITY, summary="Everything this service holds about one request (AVG inzage)")
def export(request_id):
    document = personal_data.export_one(service_db(), existing_id(request_id, "request"))
    if document is None:
        _not_found(request_id)
    return _shown(document)


@blp.route("/requests/<request_id>/erase", methods=["POST"])
@blp.response(200, RequestSchema)
@blp.doc(security=SECURITY, summary="Erase the request's personal data (AVG); the anonymous record stays",
         description="The question, name, phone, e-mail and the reasons in its history go; open consents are "
                     "withdrawn; partners it was referred to drop their copies. A member's data is erased at the "
                     "members service, which erases all their requests.")
def erase(request_id):
    request = personal_data.erase_request(service_db(), service_partner(), existing_id(request_id, "request"))
    if request is None:
        _not_found(request_id)
    return _shown(request)
