import pytest

from samen030.kernel.config import ConfigError, load_federation


def write(tmp_path, text):
    path = tmp_path / "federation.toml"
    path.write_text(text)
    return path


FEDERATION = """
[federation]
gateway_url = "http://127.0.0.1:9000"
nats_url = "nats://127.0.0.1:4999"
[partners.zorgbelang]
name = "Zorgbelang"
services = { directory = "http://127.0.0.1:9101/" }
"""


def test_the_federation_file_lists_partners_and_urls(tmp_path, monkeypatch):
    monkeypatch.delenv("NATS_URL", raising=False)
    fed = load_federation(write(tmp_path, FEDERATION))
    assert fed.gateway_url == "http://127.0.0.1:9000"
    assert fed.partner("zorgbelang").url("directory") == "http://127.0.0.1:9101"


def test_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMEN030_ZORGBELANG_DIRECTORY_URL", "http://10.1.2.3:8000")
    monkeypatch.setenv("NATS_URL", "nats://broker:4222")
    fed = load_federation(write(tmp_path, FEDERATION))
    assert fed.partner("zorgbelang").url("directory") == "http://10.1.2.3:8000"
    assert fed.nats_url == "nats://broker:4222"


def test_clear_errors(tmp_path):
    fed = load_federation(write(tmp_path, FEDERATION))
    with pytest.raises(ConfigError, match="unknown partner 'nobody'"):
        fed.partner("nobody")
    with pytest.raises(ConfigError, match="runs no 'members'"):
        fed.partner("zorgbelang").url("members")
    with pytest.raises(ConfigError, match="lower-case"):
        load_federation(write(tmp_path, '[partners."Bad Name"]\n'))
    with pytest.raises(ConfigError, match="cannot read"):
        load_federation(tmp_path / "missing.toml")


def test_the_shipped_federation_has_the_founding_partners():
    fed = load_federation()
    assert {"krachtstation", "buurtwerkkamer", "wijkinformatiepunt", "powerbypeers", "zorgbelang",
            "samen030"} <= set(fed.partners)
    assert all("directory" in p.services for p in fed.partners.values())
