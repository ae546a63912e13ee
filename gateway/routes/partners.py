from datetime import datetime, timezone

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from samen030.kernel.web import service_db

from ..freshness import DOWN
from ..readmodel import partner_status
from ..schemas import PartnerSchema

blp = Blueprint("partners", __name__, url_prefix="/api/v1/partners",
                description="The federation's partners and how fresh the gateway's data from each is")


@blp.route("")
class Partners(MethodView):
    @blp.response(200, PartnerSchema(many=True))
    def get(self):
        """List the partners, their services and the freshness of their data"""
        federation = current_app.config["FEDERATION"]
        with service_db().connect() as conn:
            status = {row.partner: row for row in conn.execute(select(partner_status))}
        now = datetime.now(timezone.utc)
        health = current_app.extensions["samen030.health"]
        reachable, links = health.current(), health.links
        result = []
        for partner in federation.partners.values():
            seen = status.get(partner.id)
            result.append({
                "id": partner.id, "name": partner.name, "services": partner.services,
                "last_event_at": seen and seen.last_event_at, "last_applied_at": seen and seen.last_applied_at,
                "events_applied": seen.events_applied if seen else 0,
                "seconds_behind": (now - _utc(seen.last_event_at)).total_seconds() if seen else None,
                "reachable": reachable.get(partner.id, False),
                **({"link": links[partner.id]} if partner.id in links else {}),
                "stale": not reachable.get(partner.id, False) or links.get(partner.id) == DOWN,
            })
        return result


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
