"""The notifier's figures at /metrics, in its test world (a real nats-server, SMTP server and webhook
receiver; SQLite and PostgreSQL): mails and webhooks sent, attempts that will be retried, deliveries
given up on, by channel; and the consumer's events applied."""
from samen030.kernel.bus import stream_name
from samen030.notifier.subscriber import DURABLE
from tests.metrics import scrape_here, total
from tests.notifier_events import handover, referral_outcome
from tests.notifier_world import A, B, FAST, publish, world  # noqa: F401 (world: a fixture)

NOTIFICATIONS = "samen030_notifications_total"


def test_sent_retried_and_failed_notifications_are_counted_by_channel(world):
    world.hooks.plans["/zb"] = [500, 500]  # down twice, then up
    world.hooks.always["/wip"] = 503  # never up: failed after FAST.max_attempts
    before = scrape_here()
    sent, arrived = handover(B, A)
    publish(world.nats_url, sent, arrived, referral_outcome(arrived, True))
    world.run(lambda: world.count(channel="webhook", status="sent") == 1
              and world.count(channel="webhook", status="failed") == 1 and world.count(channel="email", status="sent") == 2)
    after = scrape_here()

    def moved(name, **labels):
        return total(after, name, **labels) - total(before, name, **labels)
    assert moved(NOTIFICATIONS, channel="email", outcome="sent") == 2
    assert moved(NOTIFICATIONS, channel="webhook", outcome="sent") == 1
    assert moved(NOTIFICATIONS, channel="webhook", outcome="retrying") == 2 + FAST.max_attempts - 1
    assert moved(NOTIFICATIONS, channel="webhook", outcome="failed") == 1
    assert moved(NOTIFICATIONS, channel="email", outcome="retrying") == moved(NOTIFICATIONS, channel="email",
                                                                               outcome="failed") == 0
    assert sum(moved("samen030_consumer_events_total", consumer=DURABLE, outcome="applied", stream=stream_name(p))
               for p in (A, B)) == 3
