import pytest

from samen030.kernel.auth import issue_token, read_token


def test_token_round_trip():
    principal = read_token(issue_token("zorgbelang", "volunteer", "anna"))
    assert (principal.partner, principal.role, principal.user) == ("zorgbelang", "volunteer", "anna")


def test_a_tampered_or_foreign_token_is_not_read(monkeypatch):
    token = issue_token("zorgbelang", "coordinator", "anna")
    assert read_token(token[:-2] + "xx") is None
    monkeypatch.setenv("SAMEN030_SECRET", "another federation")
    assert read_token(token) is None


def test_only_a_coordinator_of_the_owner_may_write():
    coordinator = read_token(issue_token("zorgbelang", "coordinator", "anna"))
    assert coordinator.may_write("zorgbelang")
    assert not coordinator.may_write("krachtstation")
    assert not read_token(issue_token("zorgbelang", "volunteer", "bob")).may_write("zorgbelang")
    assert not read_token(issue_token("samen030", "viewer", "city")).may_write("zorgbelang")


def test_unknown_role_is_refused():
    with pytest.raises(ValueError):
        issue_token("zorgbelang", "admin", "eve")
