"""`samen030 deploy hub` / `deploy node` (samen030/deploy.py): configurations nats-server accepts, and a
partner's files hold its own credentials only."""
import json
import subprocess

from samen030.deploy import deploy_hub, deploy_node
from samen030.kernel.config import load_federation
from samen030.kernel.natsserver import nats_server_binary

NODES = ["hub1.example.nl", "hub2.example.nl", "hub3.example.nl"]


def accepted(path) -> None:
    done = subprocess.run([nats_server_binary(), "-t", "-c", str(path)], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stdout + done.stderr


def test_deploy_writes_the_hub_and_a_partners_node_with_only_its_own_credentials(tmp_path):
    federation = load_federation()
    deploy_hub(federation, NODES, tmp_path / "hub")
    for node in NODES:
        config = (tmp_path / "hub" / node / "nats.conf").read_text()
        accepted(tmp_path / "hub" / node / "nats.conf")
        assert f'server_name: "{node}"' in config
        assert all(f"@{other}:6222" in config for other in NODES if other != node)
        assert "sync_interval" in config and '"domain": "hub"' in config
    hub_secrets = json.loads((tmp_path / "hub" / "hub-secrets.json").read_text())
    for node in NODES:  # the city's processes: not the operator's password; the watch's alone has it
        assert hub_secrets["admin"] not in (tmp_path / "hub" / node / "samen030.env").read_text()
        assert hub_secrets["admin"] in (tmp_path / "hub" / node / "hub-watch.env").read_text()
    again = json.loads((tmp_path / "hub" / "leaf-secrets.json").read_text())
    deploy_hub(federation, NODES, tmp_path / "hub")  # run again: the same secrets
    assert json.loads((tmp_path / "hub" / "leaf-secrets.json").read_text()) == again

    handed = json.loads((tmp_path / "hub" / "partners" / "zorgbelang.json").read_text())
    assert set(handed) == {"partner", "leaf_user", "leaf_password", "hub"}
    deploy_node(federation, "zorgbelang", [], handed, tmp_path / "node")
    accepted(tmp_path / "node" / "nats.conf")
    everything = "".join(p.read_text() for p in (tmp_path / "node").iterdir())
    others = [pw for p, pw in again.items() if p != "zorgbelang"] + list(hub_secrets.values())
    assert again["zorgbelang"] in everything and not [pw for pw in others if pw in everything]
    assert "nats-leaf://zorgbelang:" in everything and "hub1.example.nl:7422" in everything
    assert "NATS_URL=nats://zorgbelang:" in (tmp_path / "node" / "samen030.env").read_text()
    assert (tmp_path / "node" / "node-secrets.json").stat().st_mode & 0o077 == 0
