"""Which services exist, how to build each one's app and where its outbox is."""
from importlib import import_module

SERVICE_MODULES = {"directory": "samen030.directory", "requests": "samen030.helprequests",
                   "members": "samen030.members"}


def known_services() -> list[str]:
    return list(SERVICE_MODULES)


def service_app(service: str, partner: str, database_url: str | None = None):
    return import_module(f"{SERVICE_MODULES[service]}.app").create_app(partner, database_url)


def service_tables(service: str):
    tables = import_module(f"{SERVICE_MODULES[service]}.tables")
    return tables.metadata, tables.outbox
