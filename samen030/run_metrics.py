"""What `samen030 run` shows at /metrics, so that every process of the local federation can be scraped
in Prometheus format: each part it supervises (up, restarts, memory) and the embedded nats-server,
whose own monitoring port speaks JSON (/varz, /jsz), read at each scrape."""
import logging
from pathlib import Path

import requests as http
from prometheus_client import REGISTRY, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger(__name__)


class FederationCollector:
    def __init__(self, supervisor, nats_monitor: str | None):
        self.supervisor, self.nats_monitor = supervisor, nats_monitor

    def collect(self):
        up = GaugeMetricFamily("samen030_part_up", "1 while the part's process runs", labels=["part"])
        restarts = CounterMetricFamily("samen030_part_restarts", "Times the part was started again", labels=["part"])
        rss = GaugeMetricFamily("samen030_part_resident_bytes", "Resident memory of the part's process",
                                labels=["part"])
        for name, (_args, proc) in list(self.supervisor.children.items()):
            up.add_metric([name], 1 if proc.poll() is None else 0)
            restarts.add_metric([name], self.supervisor.restarts.get(name, (0, 0.0))[0])
            rss.add_metric([name], _resident_bytes(proc.pid))
        yield from (up, restarts, rss)
        if self.nats_monitor:
            yield from self._nats()

    def _nats(self):
        try:
            varz = http.get(f"{self.nats_monitor}/varz", timeout=1).json()
            jsz = http.get(f"{self.nats_monitor}/jsz", timeout=1).json()
        except (http.RequestException, ValueError) as exc:
            log.debug("nats-server monitoring does not answer: %s", exc)
            return
        for name, text, value in (("connections", "Client connections now", varz.get("connections", 0)),
                                  ("memory_bytes", "Resident memory of nats-server", varz.get("mem", 0)),
                                  ("jetstream_streams", "Streams", jsz.get("streams", 0)),
                                  ("jetstream_consumers", "Consumers", jsz.get("consumers", 0)),
                                  ("jetstream_messages", "Messages stored in all streams", jsz.get("messages", 0)),
                                  ("jetstream_bytes", "Bytes stored in all streams", jsz.get("bytes", 0))):
            yield GaugeMetricFamily(f"nats_{name}", text, value=value)
        for name, text, value in (("in_msgs", "Messages received", varz.get("in_msgs", 0)),
                                  ("out_msgs", "Messages sent", varz.get("out_msgs", 0))):
            yield CounterMetricFamily(f"nats_{name}", text, value=value)


def serve_run_metrics(supervisor, port: int, nats_monitor: str | None) -> bool:
    """/metrics of the local federation on `port`; False when the port cannot be had (logged)."""
    REGISTRY.register(FederationCollector(supervisor, nats_monitor))
    try:
        start_http_server(port, "127.0.0.1")
    except OSError as exc:
        log.warning("samen030 run: no /metrics on port %d: %s", port, exc)
        return False
    return True


def _resident_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
