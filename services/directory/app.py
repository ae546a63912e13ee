from samen030.kernel.auth import guard_writes
from samen030.kernel.database import open_database
from samen030.kernel.web import create_api_app

from .routes import blp
from .tables import metadata


def create_app(partner: str, database_url: str | None = None, config: dict | None = None):
    app, api = create_api_app(__name__, f"SAMEN030 directory — {partner}", config)
    app.config["PARTNER"] = partner
    app.extensions["samen030.db"] = open_database(partner, "directory", metadata, database_url)
    guard_writes(app, partner)
    api.register_blueprint(blp)
    return app
