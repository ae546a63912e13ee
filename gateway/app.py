from samen030.kernel.config import load_federation
from samen030.kernel.database import open_database
from samen030.kernel.web import create_api_app

from .freshness import PartnerHealth
from .readmodel import metadata
from .answer_cache import AnswerCache
from .routes import figures, hsds, offers, partners, search, suggestions, writes
from .search_index import ensure_current

CITY_NODE = "city"


def open_readmodel(database_url: str | None = None):
    db = open_database(CITY_NODE, "gateway", metadata, database_url)
    ensure_current(db)
    return db


def create_app(database_url: str | None = None, federation=None, config: dict | None = None):
    app, api = create_api_app(__name__, "SAMEN030 gateway", config, service="gateway")
    app.config["FEDERATION"] = federation or load_federation()
    app.extensions["samen030.db"] = open_readmodel(database_url)
    app.extensions["samen030.health"] = PartnerHealth(app.config["FEDERATION"])
    app.extensions["samen030.answers"] = AnswerCache()
    for module in (offers, partners, search, writes, hsds, figures, suggestions):
        api.register_blueprint(module.blp)
    return app
