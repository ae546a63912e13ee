from samen030.kernel.rate_limit import SlidingWindow


def test_a_sender_is_stopped_after_the_limit_and_let_in_again_when_the_window_moves_on():
    now = [0.0]
    window = SlidingWindow(2, 60, clock=lambda: now[0])
    assert [window.allow("a"), window.allow("a"), window.allow("a"), window.allow("b")] == [True, True, False, True]
    assert window.retry_after("a") == 61
    now[0] = 60.5
    assert window.allow("a")


def test_it_forgets_the_least_recent_senders_beyond_its_size(monkeypatch):
    monkeypatch.setattr("samen030.kernel.rate_limit.MAX_KEYS", 3)
    window = SlidingWindow(1, 60, clock=lambda: 0.0)
    for sender in "abcd":
        assert window.allow(sender)
    assert list(window.seen) == ["b", "c", "d"]
