"""What a process shows at /metrics, in Prometheus text format. Every metric is defined here once, on
prometheus_client's process-wide default registry: where several services and workers share one process
(a partner's node), one scrape of any of its ports shows them all, told apart by their labels.

HTTP figures come from every app (kernel/observe.py), the outbox's from the relay (`OutboxFigures`), a
consumer's from kernel/consumer.py (`StreamFigures`), notifications from notifier/sender.py, the NATS
links from kernel/readiness.py. A worker started alone serves them with `serve_metrics` (kernel/workers.py)."""
import logging
import os
import time
from datetime import datetime

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics, start_http_server
from prometheus_client.core import GaugeMetricFamily

from . import readiness
from .projection import FAILED

log = logging.getLogger(__name__)
disable_created_metrics()  # no `_created` series beside every counter and histogram
CITY = "city"  # the partner label of the city's own processes (gateway, projector, notifier)
PARKED = "parked"

HTTP_REQUESTS = Counter("samen030_http_requests", "HTTP requests answered, by the endpoint's URL rule (never "
                        "the path with its ids), method and status", ["partner", "service", "endpoint", "method", "status"])
HTTP_DURATION = Histogram("samen030_http_request_duration_seconds", "Time from the request's routing to its "
                          "response, by endpoint rule and method", ["partner", "service", "endpoint", "method"],
                          buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5))  # 2: the fail-fast limit
OUTBOX_BACKLOG = Gauge("samen030_outbox_backlog", "Outbox rows not yet published, as the relay last saw them",
                       ["partner", "service"])
OUTBOX_OLDEST_AGE = Gauge("samen030_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row the "
                          "relay last saw; 0 when none waits", ["partner", "service"])
EVENTS_PUBLISHED = Counter("samen030_events_published", "Outbox events the partner's own stream acknowledged",
                           ["partner", "service"])
CONSUMER_PENDING = Gauge("samen030_consumer_pending", "Messages of the stream the durable consumer has not "
                         "settled yet: JetStream's num_pending plus those being applied", ["consumer", "stream"])
CONSUMER_LAG = Gauge("samen030_consumer_lag_seconds", "While messages are pending: seconds since the stream "
                     "stored the last message applied (or the first one fetched); 0 when caught up",
                     ["consumer", "stream"])
CONSUMER_EVENTS = Counter("samen030_consumer_events", "Deliveries settled by a consumer, by outcome: applied, "
                          "duplicate, invalid (terminated), failed (delivered again later), parked",
                          ["consumer", "stream", "outcome"])
NOTIFICATIONS = Counter("samen030_notifications", "Notification attempts by channel and outcome: sent, "
                        "retrying (failed, tried again later), failed (given up)", ["channel", "outcome"])


def serve_metrics(port: int | None = None) -> int | None:
    """/metrics of this worker process over HTTP on `port` (else SAMEN030_METRICS_PORT; none: not served),
    on SAMEN030_METRICS_ADDR (default 127.0.0.1). A port that cannot be bound is logged, not fatal."""
    port = port if port is not None else int(os.environ.get("SAMEN030_METRICS_PORT") or 0)
    if not port:
        return None
    addr = os.environ.get("SAMEN030_METRICS_ADDR", "127.0.0.1")
    try:
        start_http_server(port, addr)
    except OSError as exc:
        log.error("cannot serve /metrics on %s:%d: %s; going on without", addr, port, exc)
        return None
    log.info("metrics on http://%s:%d/metrics", addr, port)
    return port


class OutboxFigures:
    """A relay's outbox as it last saw it. The age of the oldest row is reckoned at each scrape, so it
    keeps growing while the relay cannot look (a database or broker down)."""

    def __init__(self, partner: str, service: str):
        self.backlog = OUTBOX_BACKLOG.labels(partner, service)
        self.published = EVENTS_PUBLISHED.labels(partner, service)
        self.waiting, self.oldest_at = 0, None
        OUTBOX_OLDEST_AGE.labels(partner, service).set_function(self.oldest_age)

    def saw(self, waiting: int, oldest: datetime | None) -> None:
        self.waiting = waiting
        self.backlog.set(waiting)
        self.oldest_at = oldest.timestamp() if waiting and oldest is not None else None

    def did_publish(self, count: int) -> None:
        """Rows just published; the next look sets the backlog and the oldest row exactly."""
        self.published.inc(count)
        self.waiting = max(0, self.waiting - count)
        self.backlog.set(self.waiting)

    def oldest_age(self) -> float:
        return max(0.0, time.time() - self.oldest_at) if self.oldest_at is not None else 0.0


class StreamFigures:
    """A durable consumer's place on one stream, and its deliveries by outcome."""

    def __init__(self, consumer: str, stream: str):
        self.consumer, self.stream = consumer, stream
        self.pending, self.behind_since = 0, None
        CONSUMER_PENDING.labels(consumer, stream).set_function(lambda: self.pending)
        CONSUMER_LAG.labels(consumer, stream).set_function(self.lag)

    def fetched(self, messages: list) -> None:
        self.pending = messages[-1].metadata.num_pending + len(messages)
        if self.behind_since is None:
            self.behind_since = messages[0].metadata.timestamp.timestamp()

    def caught_up(self) -> None:
        self.pending, self.behind_since = 0, None

    def settled(self, messages: list, outcomes: list[str], parked: int = 0) -> None:
        """A batch settled: an outcome per message (applied, duplicate, invalid, failed), `parked` of them parked."""
        for outcome in outcomes:
            CONSUMER_EVENTS.labels(self.consumer, self.stream, outcome).inc()
        if parked:
            CONSUMER_EVENTS.labels(self.consumer, self.stream, PARKED).inc(parked)
        done = [m for m, outcome in zip(messages, outcomes) if outcome != FAILED]
        self.pending = messages[-1].metadata.num_pending
        if not self.pending:
            self.behind_since = None
        elif done:
            self.behind_since = done[-1].metadata.timestamp.timestamp()

    def lag(self) -> float:
        return max(0.0, time.time() - self.behind_since) if self.pending and self.behind_since else 0.0


class _NatsLinks:
    """samen030_nats_connected: each NATS connection of the process (kernel/readiness.py), 1 while connected."""

    def collect(self):
        family = GaugeMetricFamily("samen030_nats_connected", "1 while the named NATS connection of this process "
                                   "is connected, 0 while it connects or reconnects", labels=["connection"])
        for name, connected in readiness.nats_links():
            family.add_metric([name], 1.0 if connected else 0.0)
        yield family


REGISTRY.register(_NatsLinks())
