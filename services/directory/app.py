from samen030.kernel.auth import guard
from samen030.kernel.config import ConfigError, Partner, load_federation
from samen030.kernel.database import open_database
from samen030.kernel.web import create_api_app

from . import hsds_routes, routes
from .tables import metadata


def create_app(partner: str, database_url: str | None = None, config: dict | None = None):
    app, api = create_api_app(__name__, f"SAMEN030 directory — {partner}", config, service="directory",
                              partner=partner)
    app.config["PARTNER_INFO"] = _partner_info(partner)
    app.extensions["samen030.db"] = open_database(partner, "directory", metadata, database_url)
    guard(app, partner, "directory", public_reads=True)  # the offers are public; writes need a coordinator
    api.register_blueprint(routes.blp)
    api.register_blueprint(hsds_routes.blp)
    return app


def _partner_info(partner: str) -> Partner:
    try:
        return load_federation().partner(partner)
    except ConfigError:
        return Partner(partner, partner)
