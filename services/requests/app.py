from flask import g, request

from samen030.kernel.auth import PUBLIC_PATHS, current_principal, require_writer
from samen030.kernel.config import load_federation
from samen030.kernel.database import open_database
from samen030.kernel.web import create_api_app

from . import privacy_routes, routes
from .tables import metadata

INBOUND = "/incoming-referrals"


def create_app(partner: str, database_url: str | None = None, config: dict | None = None):
    app, api = create_api_app(__name__, f"SAMEN030 requests — {partner}", config)
    app.config["PARTNER"] = partner
    app.extensions["samen030.db"] = open_database(partner, "requests", metadata, database_url)
    _guard(app, partner)
    api.register_blueprint(routes.blp)
    api.register_blueprint(routes.inbound)
    api.register_blueprint(privacy_routes.blp)
    return app


def _guard(app, partner: str) -> None:
    """Requests hold personal data: every endpoint needs a coordinator of this partner, reads too,
    except the handover of a referral, which needs a coordinator of another partner of the federation."""
    from flask_smorest import abort

    @app.before_request
    def _authenticate():
        if request.path.startswith(PUBLIC_PATHS):
            return
        if not request.path.startswith(INBOUND):
            g.principal = require_writer(partner, "see or change")
            return
        principal = current_principal()
        if principal.role != "coordinator" or principal.partner == partner \
                or principal.partner not in load_federation().partners:
            abort(403, message="Alleen een andere partner van de federatie kan een hulpvraag doorverwijzen "
                               "(only another partner of the federation may hand over a referral).")
        g.principal = principal
