"""Reading /metrics in tests: parsed with prometheus-client's own parser (so what does not parse fails),
as {(sample name, frozenset of its labels): value}, and summed over the labels a test cares about.

    before = scrape(f"{url}/metrics")
    …
    assert total(scrape(f"{url}/metrics"), "samen030_events_published_total", partner=P) > total(before, …)
"""
import requests
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset], float]


def parse(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(url: str, timeout: float = 5.0) -> Samples:
    """The samples at `url` (a process's /metrics), which must answer 200."""
    response = requests.get(url, timeout=timeout)
    response.raise_for_status()
    return parse(response.text)


def scrape_app(client) -> Samples:
    """The samples a Flask test client's app serves at /metrics."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.status_code
    return parse(response.get_data(as_text=True))


def scrape_here() -> Samples:
    """The samples of this very process (the test's own relays and consumers), as its /metrics gives them."""
    return parse(generate_latest(REGISTRY).decode())


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels` (0 when there is none)."""
    wanted = {(key, str(value)) for key, value in labels.items()}
    return sum(value for (sample, found), value in samples.items() if sample == name and wanted <= found)


def label_values(samples: Samples, name: str, label: str) -> set[str]:
    """Every value `label` takes among the samples called `name`."""
    return {dict(found)[label] for (sample, found) in samples if sample == name and label in dict(found)}
