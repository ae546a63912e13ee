"""`samen030 parked --consumer …`: which projections (and so which database) a consumer name stands for,
built as the worker builds them, so that a retry applies a parked event the way the worker would."""
from samen030.kernel.config import ConfigError, load_federation
from samen030.kernel.nats_users import GATEWAY_DURABLE, NOTIFIER_DURABLE
from samen030.kernel.projection import Projection


def projections_of(consumer: str, partner: str | None = None) -> list[Projection]:
    if consumer == GATEWAY_DURABLE:
        from samen030.gateway.app import open_readmodel
        from samen030.gateway.projector import readmodel_projection
        return [readmodel_projection(open_readmodel())]
    if consumer == NOTIFIER_DURABLE:
        from samen030.notifier.subscriber import Notifier, NotifierProjection
        from samen030.notifier.worker import max_age_from_env, open_notifier_db
        return [NotifierProjection(open_notifier_db(), Notifier(load_federation(), max_age_from_env()))]
    if not partner:
        raise ConfigError("--consumer followup needs --partner: whose follow-up worker")
    from samen030.helprequests.erasures import erasures_projection
    from samen030.helprequests.followup_worker import answers_projection
    from samen030.helprequests.tables import metadata
    from samen030.kernel.database import open_database
    load_federation().partner(partner).url("requests")
    db = open_database(partner, "requests", metadata)
    return [answers_projection(db, partner), erasures_projection(db, partner)]
