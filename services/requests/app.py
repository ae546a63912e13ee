from samen030.kernel.auth import guard
from samen030.kernel.database import open_database
from samen030.kernel.web import create_api_app

from . import privacy_routes, public_intake, routes
from .tables import metadata


def create_app(partner: str, database_url: str | None = None, config: dict | None = None):
    app, api = create_api_app(__name__, f"SAMEN030 requests — {partner}", config, service="requests",
                              partner=partner)
    app.extensions["samen030.db"] = open_database(partner, "requests", metadata, database_url)
    # Requests hold personal data: every endpoint needs a coordinator of this partner, reads too; another
    # partner's requests service hands over (and takes back) a referral with a service token for just that.
    # A resident's own question from the web is the one exception (public_intake.py: channel web, rate-limited).
    guard(app, partner, "requests", public=(public_intake.PATH,))
    api.register_blueprint(routes.blp)
    api.register_blueprint(routes.inbound)
    api.register_blueprint(privacy_routes.blp)
    api.register_blueprint(public_intake.blp)
    return app
