from samen030.kernel.auth import LOCAL_ACCOUNTS, guard
from samen030.kernel.database import open_database
from samen030.kernel.web import create_api_app

from . import account_routes, accounts, routes, volunteer_routes
from .tables import metadata


def create_app(partner: str, database_url: str | None = None, config: dict | None = None):
    app, api = create_api_app(__name__, f"SAMEN030 members — {partner}", config, service="members",
                              partner=partner)
    app.extensions["samen030.db"] = open_database(partner, "members", metadata, database_url)
    db = app.extensions["samen030.db"]
    app.extensions[LOCAL_ACCOUNTS] = {partner: lambda account_id: accounts.status(db, account_id)}
    guard(app, partner, "members", public=account_routes.PUBLIC)  # reads too: members are personal data
    api.register_blueprint(routes.blp)
    api.register_blueprint(account_routes.blp)
    api.register_blueprint(account_routes.login_blp)
    api.register_blueprint(volunteer_routes.blp)
    return app
