"""Files holding secrets are for their owner only, from their first byte."""
import json
import stat

from samen030.kernel.natsserver import local_passwords, write_config


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_nats_config_and_the_users_file_are_readable_by_their_owner_only(tmp_path):
    passwords = local_passwords(tmp_path, ["krachtstation"])
    config = write_config(tmp_path / "nats.conf", 4999, tmp_path / "js", passwords=passwords, partners=["krachtstation"])
    assert passwords["admin"] in config.read_text() and mode(config) == 0o600
    assert json.loads((tmp_path / "users.json").read_text()) == passwords and mode(tmp_path / "users.json") == 0o600
