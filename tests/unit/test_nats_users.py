"""Who may do what on the bus, as configuration: every stream and consumer spelt out per user, and the
consumers named as the workers name them (the real refusals: tests/integration/test_bus_permissions.py)."""
import pytest

from samen030.gateway import projector
from samen030.helprequests.erasures import erasures_projection
from samen030.helprequests.followup_worker import answers_projection
from samen030.kernel.config import ConfigError
from samen030.kernel.natsserver import local_passwords
from samen030.kernel.nats_users import permissions
from samen030.notifier import subscriber

PARTNERS = ["krachtstation", "zorgbelang"]


def rights(stream, durable, subjects):
    api = "$JS.API.CONSUMER"
    return [f"{api}.CREATE.{stream}.{durable}.{subjects}", f"{api}.INFO.{stream}.{durable}",
            f"{api}.DELETE.{stream}.{durable}", f"{api}.MSG.NEXT.{stream}.{durable}", f"$JS.ACK.{stream}.{durable}.>"]


def test_a_partner_may_use_its_subjects_its_stream_and_the_consumers_it_owns_only():
    assert permissions("krachtstation", PARTNERS) == {
        "publish": {"allow": ["$JS.API.INFO", "$JS.API.STREAM.INFO.samen030-krachtstation", "samen030.krachtstation.>",
                              *rights("samen030-zorgbelang", "followup-krachtstation",
                                      "samen030.zorgbelang.requests.request.changed"),
                              *rights("samen030-krachtstation", "erasures-krachtstation",
                                      "samen030.krachtstation.members.member.erased"),
                              *rights("samen030-zorgbelang", "erasures-krachtstation",
                                      "samen030.zorgbelang.requests.request.erased")]},
        "subscribe": {"allow": ["_INBOX_krachtstation.>"]}}


@pytest.mark.parametrize("user, durable", [("gateway", "gateway-readmodel"), ("notifier", "notifier")])
def test_the_gateway_and_the_notifier_read_every_stream_with_their_own_consumer(user, durable):
    assert permissions(user, PARTNERS) == {
        "publish": {"allow": ["$JS.API.INFO", "$JS.API.STREAM.INFO.samen030-krachtstation",
                              "$JS.API.STREAM.INFO.samen030-zorgbelang",
                              *rights("samen030-krachtstation", durable, "samen030.krachtstation.>"),
                              *rights("samen030-zorgbelang", durable, "samen030.zorgbelang.>")]},
        "subscribe": {"allow": [f"_INBOX_{user}.>"]}}
    assert permissions("admin", PARTNERS) is None  # the operator: everything


def test_the_consumers_are_named_as_the_workers_name_them():
    allowed = permissions("krachtstation", PARTNERS)["publish"]["allow"] + \
        permissions("gateway", PARTNERS)["publish"]["allow"] + permissions("notifier", PARTNERS)["publish"]["allow"]
    for durable, stream in [(answers_projection(None, "krachtstation").name, "samen030-zorgbelang"),
                            (erasures_projection(None, "krachtstation").name, "samen030-krachtstation"),
                            (erasures_projection(None, "krachtstation").name, "samen030-zorgbelang"),
                            (projector.DURABLE, "samen030-zorgbelang"), (subscriber.DURABLE, "samen030-krachtstation")]:
        assert f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}" in allowed, durable


def test_no_partner_is_called_like_a_user_of_the_federation(tmp_path):
    with pytest.raises(ConfigError, match="admin"):
        local_passwords(tmp_path, ["krachtstation", "admin"])
    with pytest.raises(ValueError):
        permissions("stranger", PARTNERS)
