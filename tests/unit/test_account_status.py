"""Staff account tokens: when a token of an account counts,
and the per-process cache of the members service's answers (fresh, stale, fail closed)."""
import time

import pytest

from samen030.kernel.account_status import AccountStatus, CheckUnavailable, StatusCache, refusal
from samen030.members.account_schemas import AccountSchema
from samen030.members.accounts import normalise_username, password_problem


def test_when_a_token_of_an_account_counts():
    active = AccountStatus(True, "coordinator", 1_000)
    assert refusal("coordinator", 1_000, active) is None
    assert refusal("coordinator", 2_000, active) is None
    assert "disabled" in refusal("coordinator", 2_000, AccountStatus(False, "coordinator", 1_000))
    assert "role" in refusal("volunteer", 2_000, active)
    assert "sessions" in refusal("coordinator", 999, active)
    assert "no longer exists" in refusal("coordinator", 2_000, None)


class Source:
    def __init__(self):
        self.answer, self.calls, self.down = AccountStatus(True, "coordinator", 0), 0, False

    def __call__(self, partner, account):
        self.calls += 1
        if self.down:
            raise CheckUnavailable("down")
        return self.answer


def test_the_cache_asks_again_after_its_ttl_and_uses_the_last_answer_while_the_source_is_down():
    now, source = [0.0], Source()
    cache = StatusCache(source, ttl=lambda: 30, stale_limit=lambda: 300, clock=lambda: now[0])
    assert cache.status("p", "a").active and source.calls == 1
    source.answer = AccountStatus(False, "coordinator", 0)
    now[0] = 29
    assert cache.status("p", "a").active and source.calls == 1  # inside the window
    now[0] = 30
    assert not cache.status("p", "a").active and source.calls == 2
    source.down = True
    now[0] = 329
    assert not cache.status("p", "a").active  # the last answer, 299 s old
    now[0] = 330
    with pytest.raises(CheckUnavailable):
        cache.status("p", "a")
    with pytest.raises(CheckUnavailable):  # never asked before: fail closed at once
        cache.status("p", "b")


def test_no_answer_is_cached_with_a_ttl_of_zero():
    source = Source()
    cache = StatusCache(source, ttl=lambda: 0, stale_limit=lambda: 300)
    cache.status("p", "a")
    cache.status("p", "a")
    assert source.calls == 2


@pytest.mark.parametrize(("password", "ok"), [("123456789", False), ("1234567890", True), (" " * 10, False),
                                              ("x" * 200, True), ("x" * 201, False)])
def test_passwords_need_a_length(password, ok):
    assert (password_problem(password) is None) == ok


def test_usernames_are_compared_in_lower_case_without_surrounding_spaces():
    assert normalise_username("  Anna@Example.NL ") == "anna@example.nl"
    errors = AccountSchema().validate({"username": "a b", "password": "x" * 10, "role": "coordinator"})
    assert set(errors) == {"username"}
