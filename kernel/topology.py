"""Where the federation's events live, and the nats-server configurations that put them there.

Two topologies (SAMEN030_TOPOLOGY):

- `single` (the default, `make run`): one nats-server; partner P's stream `samen030-P` lives there and
  every consumer reads it.
- `hub`: a 3-node hub cluster (JetStream domain `hub`) and one leaf nats-server per partner (JetStream
  domain = the partner id). P's stream `samen030-P` (subjects `samen030.P.>`) lives on P's leaf, so its
  relay is acknowledged there and P's writes succeed while its line to the hub is down. The hub keeps
  an R3 copy `hub-P` with no subjects of its own that *sources* `samen030-P` across the domains
  (`external.api = $JS.P.API`, deliveries under `sourcing.P.>`); consumers of other partners' events
  (the gateway's projector, the notifier, other partners' follow-up workers) read the hub copies.
  Nothing is published through a leaf into a hub stream (that doubles messages: nats-server #3161,
  #4148); sourcing keeps each message's Nats-Msg-Id, and the hub copy deduplicates on it within its
  duplicate window, but delivery across sourcing is at least once: consumers stay idempotent.

`reading()` is the one place that says which stream (and JetStream domain) a reader reads a partner's
events from; the configuration writers below are pure (text in, text out) and tested as such.

What the hub allows a partner's leaf connection (the hub's leaf user P, from the leaf's side:
`publish` = what the leaf may send into the hub, `subscribe` = what the hub may send into the leaf):

- send: the deliveries, heartbeats and flow-control requests of the sourcing consumer of its own stream
  (`sourcing.P.>`: each partner its own deliver prefix, so no leaf can inject into another partner's
  hub copy), the answers to the hub's sourcing requests (`$JSC.R.>`, random reply subjects of the hub),
  and what its own follow-up worker does with its consumers on the other partners' hub copies
  (`$JS.hub.API.CONSUMER.….hub-Q.followup-P…`, `$JS.ACK.hub-Q.followup-P.>`). Not `samen030.P.>`: its
  events reach the hub by sourcing only.
- receive: the hub's sourcing requests to its own JetStream (`$JS.P.API.CONSUMER.CREATE.samen030-P.>`
  and the info/delete of those consumers), the flow-control answers (`$JS.FC.samen030-P.>`), and the
  replies to its own users (`_INBOX_P.>`, which carry the messages its follow-up worker pulls).
"""
import json
import os

SINGLE, HUB = "single", "hub"
TOPOLOGIES = (SINGLE, HUB)
HUB_DOMAIN = "hub"
HUB_CLUSTER = "samen030-hub"
HUB_REPLICAS = 3
ROUTE_USER = "route"  # the hub servers' routes to each other
API = "$JS.API"


def topology() -> str:
    """SAMEN030_TOPOLOGY: `single` (default) or `hub`."""
    value = os.environ.get("SAMEN030_TOPOLOGY", SINGLE).strip().lower() or SINGLE
    if value not in TOPOLOGIES:
        from .config import ConfigError
        raise ConfigError(f"SAMEN030_TOPOLOGY={value!r}: must be one of {', '.join(TOPOLOGIES)}")
    return value


def own_stream(partner: str) -> str:
    """The partner's own stream, where its relay publishes: on the one server, or on its leaf."""
    return f"samen030-{partner}"


def hub_stream(partner: str) -> str:
    """The hub's copy of the partner's stream (partner ids have no '-', so no partner's own stream is
    called like this; and the names differ, so the v1 ack subjects `$JS.ACK.<stream>.<consumer>` of a
    leaf and of the hub never coincide)."""
    return f"hub-{partner}"


def api_prefix(domain: str | None) -> str:
    return f"$JS.{domain}.API" if domain else API


def deliver_prefix(partner: str) -> str:
    """Where the hub copy's sourcing consumer at the partner's leaf delivers: a prefix per partner, so
    the hub may let each leaf send only its own deliveries."""
    return f"sourcing.{partner}"


def reading(partner: str, reader: str | None = None, kind: str | None = None) -> tuple[str, str | None]:
    """(stream, JetStream domain or None for the server one is connected to) from which `reader` reads
    `partner`'s events. `reader`: a partner id (its node, connected to its own leaf in the hub
    topology) or None (the city: gateway, projector, notifier, operator, connected to the hub)."""
    kind = kind or topology()
    if kind == SINGLE:
        return own_stream(partner), None
    if reader == partner:
        return own_stream(partner), None  # its own events, on its own leaf: also while the hub is away
    if reader is None:
        return hub_stream(partner), None
    return hub_stream(partner), HUB_DOMAIN


def check_partners(partners: list[str]) -> None:
    from .config import ConfigError
    if HUB_DOMAIN in partners:
        raise ConfigError(f"partner id {HUB_DOMAIN!r} is the hub's JetStream domain; choose another")


# --- nats-server configurations -------------------------------------------------------------------------

def render(config: dict) -> str:
    """A nats-server configuration file: `key: value` lines with JSON values (which its parser reads;
    quoted strings are taken literally, so `$JS…` subjects are no variables)."""
    return "".join(f"{key}: {json.dumps(value, indent=2)}\n" for key, value in config.items())


def _jetstream(store_dir: str, domain: str, sync_interval: str) -> dict:
    return {"store_dir": str(store_dir), "domain": domain, "sync_interval": sync_interval}


def _tls(tls: dict | None) -> dict:
    """`tls`: {"cert_file", "key_file", "ca_file"} paths, or nothing (loopback)."""
    return {"tls": dict(tls)} if tls else {}


def _users(passwords: dict[str, str], perms, connection_types: list[str] | None = None) -> list[dict]:
    users = []
    for user, password in passwords.items():
        entry = {"user": user, "password": password}
        if connection_types:
            entry["allowed_connection_types"] = connection_types
        if (p := perms(user)) is not None:
            entry["permissions"] = p
        users.append(entry)
    return users


def hub_server_config(*, name: str, host: str, client_port: int, cluster_port: int, leaf_port: int,
                      routes: list[str], store_dir, partners: list[str], passwords: dict[str, str],
                      leaf_passwords: dict[str, str], route_password: str, monitor_port: int | None = None,
                      sync_interval: str = "always", tls: dict | None = None, listen_host: str | None = None) -> str:
    """One server of the 3-node hub: `routes` are the other servers' cluster `host:port`; `passwords`
    the hub's client users (admin, gateway, notifier), `leaf_passwords` the one user per partner its
    leaf connects with (accepted on the leaf port only: nats-server takes no permissions in the leaf
    port's own `authorization`, so they are users of the main one, each allowed one connection type)."""
    from .nats_users import ADMIN_USER, GATEWAY_USER, NOTIFIER_USER, permissions
    check_partners(partners)
    if unknown := set(passwords) - {ADMIN_USER, GATEWAY_USER, NOTIFIER_USER}:
        raise ValueError(f"the hub's client users are admin, gateway and notifier, not {sorted(unknown)}")
    if unknown := set(leaf_passwords) - set(partners):
        raise ValueError(f"leaf users of no partner: {sorted(unknown)}")
    bind = listen_host or host
    config = {
        "server_name": name,
        "listen": f"{bind}:{client_port}",
        "max_payload": 1048576,
        "jetstream": _jetstream(store_dir, HUB_DOMAIN, sync_interval),
        "cluster": {"name": HUB_CLUSTER, "listen": f"{bind}:{cluster_port}",
                    "authorization": {"user": ROUTE_USER, "password": route_password},
                    "routes": [f"nats-route://{ROUTE_USER}:{route_password}@{route}" for route in routes],
                    **_tls(tls)},
        "leafnodes": {"listen": f"{bind}:{leaf_port}", **_tls(tls)},
        "authorization": {"users": [*_users(passwords, lambda u: permissions(u, partners, HUB), ["STANDARD"]),
                                    *_users(leaf_passwords, lambda p: leaf_permissions(p, partners), ["LEAFNODE"])]},
    }  # `tls`: on the routes and the leaf port (what crosses the internet); the client port is the city's
    if monitor_port:
        config["http"] = f"{bind}:{monitor_port}"
    return render(config)


def leaf_server_config(*, partner: str, partners: list[str], client_port: int, store_dir,
                       passwords: dict[str, str], hub_leaf_urls: list[str], leaf_password: str,
                       monitor_port: int | None = None, sync_interval: str = "always", listen_host: str = "127.0.0.1",
                       tls: dict | None = None, reconnect: str = "1s", only_these_urls: bool = False) -> str:
    """The partner's leaf: its own JetStream (domain = partner id), its own users (`passwords`: the
    partner's user for its services, and a local admin), and one remote to the hub's leaf ports
    (`hub_leaf_urls`, `host:port` each) with the partner's own hub credentials only. `only_these_urls`:
    not the other hub servers' leaf ports the hub tells about (a leaf behind a proxy, the tests' cut link)."""
    from .nats_users import ADMIN_USER, permissions
    check_partners(partners)
    if partner not in partners:
        raise ValueError(f"{partner!r} is no partner of the federation")
    if unknown := set(passwords) - {partner, ADMIN_USER}:
        raise ValueError(f"a leaf's users are the partner's own and admin, not {sorted(unknown)}")
    scheme = "tls" if tls else "nats-leaf"
    config = {
        "server_name": f"leaf-{partner}",
        "listen": f"{listen_host}:{client_port}",
        "max_payload": 1048576,
        "jetstream": _jetstream(store_dir, partner, sync_interval),
        "leafnodes": {"reconnect": reconnect, "remotes": [{
            "urls": [f"{scheme}://{partner}:{leaf_password}@{url}" for url in hub_leaf_urls], **_tls(tls),
            **({"ignore_discovered_servers": True} if only_these_urls else {})}]},
        "authorization": {"users": _users(passwords, lambda u: permissions(u, partners, HUB, at_leaf=True))},
    }
    if monitor_port:
        config["http"] = f"{listen_host}:{monitor_port}"
    return render(config)


def leaf_permissions(partner: str, partners: list[str]) -> dict:
    """The hub's user for `partner`'s leaf connection (see the module's docstring)."""
    from .nats_users import consumer_rights, consumers_of
    own = own_stream(partner)
    send = [f"{deliver_prefix(partner)}.>", "$JSC.R.>"]
    for stream, durable, subjects, domain in consumers_of(partner, partners, HUB):
        if domain == HUB_DOMAIN:
            send += consumer_rights(stream, durable, subjects, api_prefix(HUB_DOMAIN))
    source_api = f"{api_prefix(partner)}.CONSUMER"
    receive = [f"{source_api}.CREATE.{own}.>", f"{source_api}.INFO.{own}.>", f"{source_api}.DELETE.{own}.>",
               f"{api_prefix(partner)}.STREAM.INFO.{own}", f"$JS.FC.{own}.>", f"_INBOX_{partner}.>"]
    return {"publish": {"allow": send}, "subscribe": {"allow": receive}}


def hub_source(partner: str):
    """The hub copy's one source: the partner's stream on its leaf, in the partner's domain."""
    from nats.js.api import ExternalStream, StreamSource
    return StreamSource(name=own_stream(partner), filter_subject=f"samen030.{partner}.>",
                        external=ExternalStream(api=api_prefix(partner), deliver=deliver_prefix(partner)))
