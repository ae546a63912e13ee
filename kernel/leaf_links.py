"""Which partners' leaves are connected to the hub, as the hub servers' own monitoring (/leafz) says:
for `samen030 status`, the hub's watch and the gateway's freshness (a partner whose line to the hub is
down answers and keeps writing, but its new data does not reach the hub)."""
import requests as http

from .peers import request_within


def leaves_seen(monitor_urls: list[str], seconds: float = 2.0) -> set[str] | None:
    """The partners whose leaf is connected to one of the hub servers (their monitoring at
    `monitor_urls`), by the leaf's server name `leaf-<partner>`; None when no server's monitoring
    answered (nothing known)."""
    found, answered = set(), False
    for url in monitor_urls:
        try:
            leafz = request_within(seconds, "GET", f"{url}/leafz", timeout=seconds).json()
        except (http.RequestException, ValueError):
            continue
        if not isinstance(leafz, dict):
            continue
        answered = True
        found |= {leaf["name"][len("leaf-"):] for leaf in leafz.get("leafs") or []
                  if isinstance(leaf, dict) and str(leaf.get("name", "")).startswith("leaf-")}
    return found if answered else None
