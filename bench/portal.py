"""Figures 15–16, the shared web portal (`portal/`).

15. The residents' search page over 10,000 offers, server time in-process. A read model of its own (a
    SQLite file in the temporary directory, or a schema of its own under DATABASE_URL) is filled as
    figure 4 fills it (bench/citysearch.py: 10,000 offer.created events of 20 partners built by the
    directory's own offer_event, applied through the projector's readmodel_projection, no NATS). The
    gateway app and the portal app then run in this process as `samen030 city` runs them (the portal
    with GATEWAY_APP: it asks the gateway in-process), and Flask's test client asks the portal for
    GET /aanbod?q=…&waar=… — the whole page: the gateway's search, the partners' names, the template —
    next to the reference measured in the same run, beside it: the gateway's GET /api/v1/search JSON
    for the very query the portal sends (`q`, the wijk, page 1 of 10). p50 and p95 of CALLS calls each,
    the two interleaved, after WARMUP calls; the ratio is times the gateway's JSON. The partners'
    /health is a stub that answers 200 (as in figure 4), so no offer is marked stale. The gateway's answer
    cache (gateway/answer_cache.py) serves both after the first call, as it does for residents repeating a
    popular search: the ratio is what the portal adds (partners' names, the template, the page's headers).
16. The bytes a first visit to / loads: the home page's HTML, and the stylesheets and scripts it links
    to (found by parsing that HTML, each fetched from the portal), raw and gzip-compressed.

Run alone: `.venv/bin/python bench/portal.py`."""
import gzip
import os
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from html.parser import HTMLParser
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import citysearch

from samen030.gateway.app import create_app as create_gateway
from samen030.kernel.config import load_federation
from samen030.portal.app import create_app as create_portal

WARMUP, CALLS = 20, 200
SEARCHES = {  # the resident's words and place → what the portal sends the gateway (residents.SearchForm.query)
    "koffie in Zuidwest": ({"q": "koffie", "waar": "Zuidwest"},
                           {"q": "koffie", "wijk": "WK034408", "page": 1, "per_page": 10}),
    "buurthuis, heel Utrecht": ({"q": "buurthuis"}, {"q": "buurthuis", "page": 1, "per_page": 10}),
}


class Assets(HTMLParser):
    """The stylesheets and scripts a page links to."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.found.append(("css", attrs["href"]))
        elif tag == "script" and attrs.get("src"):
            self.found.append(("js", attrs["src"]))


@contextmanager
def _city(workdir: Path):
    """figure 4's city: its federation file, a read model of 10,000 offers, the /health stub; the gateway
    and the portal apps on it, in this process."""
    city = citysearch.City(workdir / "portal-city", "nats://127.0.0.1:1")  # no bus: nothing listens there
    saved = {key: os.environ.get(key) for key in city.env}
    os.environ.update(city.env)
    health = ThreadingHTTPServer(("127.0.0.1", city.health_port), citysearch._Healthy)
    threading.Thread(target=health.serve_forever, daemon=True).start()
    try:
        loaded = citysearch.load_readmodel(city)
        federation = load_federation(city.federation)
        gateway = create_gateway(city.url, federation, {"TESTING": True})
        portal = create_portal(federation, {"GATEWAY_APP": gateway, "SECRET_KEY": "bench"})
        yield loaded, gateway, portal
        gateway.extensions["samen030.db"].dispose()
    finally:
        health.shutdown()
        health.server_close()
        citysearch.drop(city)
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.update({key: value})


def _timed(client, path: str) -> float:
    began = time.perf_counter()
    response = client.get(path)
    took = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
    return took


def _summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"p50_ms": statistics.median(ordered), "p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
            "calls": len(ordered)}


def search_page(gateway, portal) -> dict:
    pages, answers = portal.test_client(), gateway.test_client()
    results = {}
    for name, (asked, sent) in SEARCHES.items():
        page, json = f"/aanbod?{urlencode(asked)}", f"/api/v1/search?{urlencode(sent)}"
        found = answers.get(json).get_json()["total_items"]
        shown = pages.get(page).get_data(as_text=True)
        assert f"{found} resultaten" in shown.replace("\u202f", "").replace(".", "").replace(",", ""), \
            f"{name}: the page does not show the gateway's {found} results"
        for _ in range(WARMUP):
            _timed(pages, page), _timed(answers, json)
        portal_ms, gateway_ms = [], []
        for _ in range(CALLS):  # interleaved: both see the same moments of the machine
            portal_ms.append(_timed(pages, page))
            gateway_ms.append(_timed(answers, json))
        results[name] = {"matches": found, "portal": _summary(portal_ms), "gateway": _summary(gateway_ms)}
    return results


def first_visit(portal) -> dict:
    client = portal.test_client()
    home = client.get("/")
    assert home.status_code == 200
    html = home.get_data()
    parser = Assets()
    parser.feed(html.decode("utf-8"))
    assets = {}
    for kind, href in parser.found:
        answer = client.get(urlsplit(href).path)
        assert answer.status_code == 200, href
        body = answer.get_data()
        assets[href] = {"kind": kind, "bytes": len(body), "gzip": len(gzip.compress(body, 6))}
    return {"html_bytes": len(html), "html_gzip": len(gzip.compress(html, 6)), "assets": assets,
            "css_bytes": sum(a["bytes"] for a in assets.values() if a["kind"] == "css"),
            "js_bytes": sum(a["bytes"] for a in assets.values() if a["kind"] == "js"),
            "assets_gzip": sum(a["gzip"] for a in assets.values())}


def measure(workdir: Path) -> dict:
    with _city(workdir) as (loaded, gateway, portal):
        return {"offers": loaded["events"], "searches": search_page(gateway, portal), "first_visit": first_visit(portal)}


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="samen030-bench-") as directory:
        figures = measure(Path(directory))
    for name, result in figures["searches"].items():
        p, g = result["portal"], result["gateway"]
        print(f"portal search page '{name}' ({result['matches']} matches): p50 {p['p50_ms']:.1f} ms, "
              f"p95 {p['p95_ms']:.1f} ms; gateway JSON p50 {g['p50_ms']:.1f} ms, p95 {g['p95_ms']:.1f} ms; "
              f"ratio p95 {p['p95_ms'] / g['p95_ms']:.2f}")
    visit = figures["first_visit"]
    print(f"first visit to /: HTML {visit['html_bytes']:,} bytes, CSS {visit['css_bytes']:,} bytes, "
          f"JS {visit['js_bytes']:,} bytes ({len(visit['assets'])} files; gzip {visit['assets_gzip']:,} bytes)")
