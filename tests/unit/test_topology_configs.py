"""The `hub` topology as configuration (kernel/topology.py): which stream a reader reads, the hub's and
a leaf's nats-server configurations, and what a partner's leaf may bring into the hub. The real thing,
with servers killed and links cut: tests/integration/test_topology.py."""
import json
import re
import subprocess

import pytest

from samen030.kernel.bus import hub_copy_config, stream_config
from samen030.kernel.config import ConfigError
from samen030.kernel.natsserver import nats_server_binary
from samen030.kernel.nats_users import permissions
from samen030.kernel.topology import (HUB, SINGLE, hub_server_config, leaf_permissions, leaf_server_config, reading,
                                      render)

K, Z = "krachtstation", "zorgbelang"
PARTNERS = [K, Z]


def test_one_function_says_which_stream_a_reader_reads():
    assert reading(K, None, SINGLE) == reading(K, Z, SINGLE) == ("samen030-krachtstation", None)
    assert reading(K, None, HUB) == ("hub-krachtstation", None)  # the city, at the hub
    assert reading(K, Z, HUB) == ("hub-krachtstation", "hub")  # another partner, from its leaf
    assert reading(K, K, HUB) == ("samen030-krachtstation", None)  # its own, on its own leaf


def hub_config(tmp_path, **changes):
    args = dict(name="hub-1", host="127.0.0.1", client_port=14222, cluster_port=16222, leaf_port=17422,
                routes=["127.0.0.1:16223", "127.0.0.1:16224"], store_dir=tmp_path / "js", partners=PARTNERS,
                passwords={"admin": "pa", "gateway": "pg", "notifier": "pn"},
                leaf_passwords={K: "lk", Z: "lz"}, route_password="pr", monitor_port=18222)
    return hub_server_config(**{**args, **changes})


def parsed(text: str) -> dict:
    return {key: json.loads(value) for key, value in re.findall(r"^(\w+): (.*?)(?=^\w+: |\Z)", text, re.S | re.M)}


def nats_server_accepts(tmp_path, text: str) -> None:
    path = tmp_path / "nats.conf"
    path.write_text(text)
    done = subprocess.run([nats_server_binary(), "-t", "-c", str(path)], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_hub_server_is_one_of_a_cluster_with_domain_hub_and_a_leaf_port(tmp_path):
    text = hub_config(tmp_path)
    nats_server_accepts(tmp_path, text)
    config = parsed(text)
    assert config["server_name"] == "hub-1"
    assert config["jetstream"] == {"store_dir": str(tmp_path / "js"), "domain": "hub", "sync_interval": "always"}
    assert config["cluster"]["name"] == "samen030-hub"
    assert config["cluster"]["routes"] == ["nats-route://route:pr@127.0.0.1:16223", "nats-route://route:pr@127.0.0.1:16224"]
    assert config["leafnodes"]["listen"] == "127.0.0.1:17422"
    users = {u["user"]: u for u in config["authorization"]["users"]}
    assert {u: users[u]["allowed_connection_types"] for u in users} == {
        "admin": ["STANDARD"], "gateway": ["STANDARD"], "notifier": ["STANDARD"], K: ["LEAFNODE"], Z: ["LEAFNODE"]}
    assert "permissions" not in users["admin"]
    assert users["gateway"]["permissions"] == permissions("gateway", PARTNERS, HUB)
    assert users[K]["permissions"] == leaf_permissions(K, PARTNERS)


def test_the_city_reads_the_hub_copies():
    allowed = permissions("gateway", PARTNERS, HUB)["publish"]["allow"]
    assert "$JS.API.CONSUMER.MSG.NEXT.hub-zorgbelang.gateway-readmodel" in allowed
    assert not [s for s in allowed if "samen030-" in s]


def test_a_partners_leaf_brings_into_the_hub_its_own_sourcing_and_its_own_consumers_only():
    send = leaf_permissions(K, PARTNERS)["publish"]["allow"]
    receive = leaf_permissions(K, PARTNERS)["subscribe"]["allow"]
    assert "sourcing.krachtstation.>" in send and "$JSC.R.>" in send
    assert not [s for s in send if s.startswith("samen030.")]  # no events: they come by sourcing
    assert not [s for s in send if "sourcing.zorgbelang" in s or "$JS.API" in s or "$JS.zorgbelang" in s]
    others = [s for s in send if s not in ("sourcing.krachtstation.>", "$JSC.R.>")]
    assert others and all(re.match(r"^\$JS\.(hub\.API\.CONSUMER\.[A-Z.]+|ACK\.)hub-zorgbelang\.(followup|erasures)-"
                                   r"krachtstation\b", s) for s in others), others
    assert set(receive) == {"$JS.krachtstation.API.CONSUMER.CREATE.samen030-krachtstation.>",
                            "$JS.krachtstation.API.CONSUMER.INFO.samen030-krachtstation.>",
                            "$JS.krachtstation.API.CONSUMER.DELETE.samen030-krachtstation.>",
                            "$JS.krachtstation.API.STREAM.INFO.samen030-krachtstation",
                            "$JS.FC.samen030-krachtstation.>", "_INBOX_krachtstation.>"}


def test_a_leaf_has_the_partners_domain_its_own_users_and_only_its_own_hub_credentials(tmp_path):
    text = leaf_server_config(partner=K, partners=PARTNERS, client_port=14300, store_dir=tmp_path / "js",
                              passwords={K: "own", "admin": "local"}, hub_leaf_urls=["hub1:7422", "hub2:7422"],
                              leaf_password="lk")
    nats_server_accepts(tmp_path, text)
    config = parsed(text)
    assert config["server_name"] == "leaf-krachtstation"
    assert config["jetstream"]["domain"] == K and config["jetstream"]["sync_interval"] == "always"
    assert config["leafnodes"]["remotes"] == [{"urls": ["nats-leaf://krachtstation:lk@hub1:7422",
                                                        "nats-leaf://krachtstation:lk@hub2:7422"]}]
    users = {u["user"]: u for u in config["authorization"]["users"]}
    assert set(users) == {K, "admin"}
    assert users[K]["permissions"] == permissions(K, PARTNERS, HUB, at_leaf=True)
    for secret in ("lz", "pa", "pg", "pn", "pr"):  # no one else's password
        assert f'"{secret}"' not in text and f":{secret}@" not in text
    with pytest.raises(ValueError):
        leaf_server_config(partner=K, partners=PARTNERS, client_port=1, store_dir=tmp_path, hub_leaf_urls=[],
                           passwords={K: "own", Z: "theirs"}, leaf_password="lk")


def test_a_partner_at_its_leaf_reads_its_own_stream_there_and_the_others_at_the_hub():
    allowed = permissions(K, PARTNERS, HUB, at_leaf=True)["publish"]["allow"]
    assert "samen030.krachtstation.>" in allowed and "$JS.API.STREAM.INFO.samen030-krachtstation" in allowed
    assert "$JS.API.CONSUMER.MSG.NEXT.samen030-krachtstation.erasures-krachtstation" in allowed
    assert "$JS.hub.API.CONSUMER.MSG.NEXT.hub-zorgbelang.followup-krachtstation" in allowed
    assert "$JS.ACK.hub-zorgbelang.followup-krachtstation.>" in allowed
    assert not [s for s in allowed if "samen030.zorgbelang" in s and "CONSUMER" not in s]
    with pytest.raises(ValueError):
        permissions("gateway", PARTNERS, HUB, at_leaf=True)


def test_the_hub_copy_sources_the_partners_stream_across_domains_with_a_prefix_of_its_own():
    copy = hub_copy_config(K)
    assert (copy.name, copy.subjects, copy.num_replicas) == ("hub-krachtstation", [], 3)
    [source] = copy.sources
    assert (source.name, source.filter_subject) == ("samen030-krachtstation", "samen030.krachtstation.>")
    assert (source.external.api, source.external.deliver) == ("$JS.krachtstation.API", "sourcing.krachtstation")
    own = stream_config(K)
    assert (copy.max_age, copy.duplicate_window, copy.max_bytes) == (own.max_age, own.duplicate_window, own.max_bytes)


def test_no_partner_is_called_like_the_hubs_domain(tmp_path):
    with pytest.raises(ConfigError, match="hub"):
        hub_config(tmp_path, partners=[K, "hub"], leaf_passwords={K: "x"})


def test_render_quotes_subjects_so_nats_server_takes_them_literally():
    assert render({"a": "$JS.API.>"}) == 'a: "$JS.API.>"\n'


def test_run_puts_a_leafs_link_through_the_hub_urls_the_federation_file_gives_it_and_only_those(tmp_path):
    """`samen030 run --topology hub`: a leaf with `hub = [...]` in `[hub] leaves` dials only those (a proxy
    a test can cut), not the hub servers' leaf ports it would learn; the other leaves dial all three."""
    from samen030.hubfed import LocalHub
    from tests.federation import write_federation
    write_federation(tmp_path / "federation.toml", PARTNERS, hub=True)
    from samen030.kernel.config import load_federation
    federation = load_federation(tmp_path / "federation.toml")
    servers = [{"client": 14251 + n, "cluster": 16251 + n, "leaf": 17251 + n, "monitor": 18251 + n} for n in range(3)]
    plan = {"servers": servers, "leaves": {K: {"client": 14301, "monitor": 15301, "hub": ["127.0.0.1:17300"]},
                                           Z: {"client": 14302, "monitor": 15302}}}
    hub = LocalHub(federation, tmp_path / "nats", plan)
    hub.write_configs()
    remotes = {p: parsed(hub.leaf(p).config.read_text())["leafnodes"]["remotes"] for p in PARTNERS}
    assert [(r["urls"][0].rsplit("@", 1)[1], len(r["urls"]), r.get("ignore_discovered_servers")) for r in remotes[K]] \
        == [("127.0.0.1:17300", 1, True)]
    assert [[u.rsplit("@", 1)[1] for u in r["urls"]] for r in remotes[Z]] \
        == [["127.0.0.1:17251", "127.0.0.1:17252", "127.0.0.1:17253"]] and "ignore_discovered_servers" not in remotes[Z][0]
    nats_server_accepts(tmp_path, hub.leaf(K).config.read_text())
    with pytest.raises(ConfigError):
        LocalHub(federation, tmp_path / "nats", {**plan, "leaves": {K: {"client": 1, "monitor": 2, "hub": "x:1"}}})
