"""Who may do what on the shared nats-server (rule 5 of the federation): per user an allow list with
every stream and every consumer spelt out, so that a partner publishes only under its own subjects,
creates no stream, and creates, reads, pulls from, acks and deletes only the consumers it owns.

The operator (`admin`) provisions the partner streams (kernel/bus.py `provision_streams`); the other
users only read them. A consumer right is the set of JetStream API subjects that name the stream and
the consumer, never the bare `$JS.API.CONSUMER.CREATE.<stream>` (whose body could name any consumer);
nats-server refuses a create whose body names another consumer than its subject. Replies come to an
inbox of the user's own (`_INBOX_<user>`), which no other user may subscribe to."""

from .config import ConfigError
from .topology import API, HUB, SINGLE, api_prefix, own_stream, reading

ADMIN_USER, GATEWAY_USER, NOTIFIER_USER = "admin", "gateway", "notifier"
RESERVED_USERS = (ADMIN_USER, GATEWAY_USER, NOTIFIER_USER)
GATEWAY_DURABLE, NOTIFIER_DURABLE = "gateway-readmodel", "notifier"


def followup_durable(partner: str) -> str:
    """The follow-up worker's consumer of answers on the other partners' streams."""
    return f"followup-{partner}"


def erasures_durable(partner: str) -> str:
    """The follow-up worker's consumer of erasures, on its own stream and the other partners'."""
    return f"erasures-{partner}"


def inbox_prefix(user: str) -> str:
    return f"_INBOX_{user}"


def stream_name(partner: str) -> str:
    """The partner's own stream (where its relay publishes); what a reader reads: topology.reading()."""
    return own_stream(partner)


# What a partner's follow-up worker reads (samen030.<partner>.<these>): the other partners' answers to its
# referrals and their erasures of requests it was referred, and its own members' erasures.
ANSWERS, REQUEST_ERASED, MEMBER_ERASED = "requests.request.changed", "requests.request.erased", "members.member.erased"


def consumers_of(user: str, partners: list[str], kind: str = SINGLE) -> list[tuple[str, str, str, str | None]]:
    """(stream, durable, the subjects it reads, JetStream domain) of every consumer `user` owns, in the
    topology `kind` (the stream and domain of topology.reading(); None: the server it is connected to)."""
    reader = None if user in RESERVED_USERS else user

    def at(partner: str, durable: str, subjects: str):
        return (*reading(partner, reader, kind), durable, subjects)

    if user in (GATEWAY_USER, NOTIFIER_USER):
        durable = GATEWAY_DURABLE if user == GATEWAY_USER else NOTIFIER_DURABLE
        found = [at(p, durable, f"samen030.{p}.>") for p in partners]
    else:
        found = ([at(p, followup_durable(user), f"samen030.{p}.{ANSWERS}") for p in partners if p != user]
                 + [at(user, erasures_durable(user), f"samen030.{user}.{MEMBER_ERASED}")]
                 + [at(p, erasures_durable(user), f"samen030.{p}.{REQUEST_ERASED}") for p in partners if p != user])
    return [(stream, durable, subjects, domain) for stream, domain, durable, subjects in found]


def consumer_rights(stream: str, durable: str, subjects: str, api: str = API) -> list[str]:
    """Only the create form that names the consumer's filter (nats-server refuses a body whose filter or
    name differs from its subject), so a consumer reads only what it was made for. `api`: `$JS.API`, or
    `$JS.<domain>.API` for a stream in another JetStream domain (acks name no domain: their v1 form)."""
    api = f"{api}.CONSUMER"
    return [f"{api}.CREATE.{stream}.{durable}.{subjects}", f"{api}.INFO.{stream}.{durable}",
            f"{api}.DELETE.{stream}.{durable}", f"{api}.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>"]


def permissions(user: str, partners: list[str], kind: str = SINGLE, at_leaf: bool = False) -> dict | None:
    """The nats-server permissions of `user` in a federation of `partners`; None: everything (admin).
    `kind` = topology.HUB: on the hub (gateway, notifier, admin), or `at_leaf` on the partner's own leaf
    (the partner's user, and its local admin); the hub's users for the leaf connections are
    topology.leaf_permissions()."""
    if user == ADMIN_USER:
        return None
    if user not in RESERVED_USERS and user not in partners:
        raise ValueError(f"{user!r} is no partner of the federation ({', '.join(partners)})")
    if kind == HUB and (user in RESERVED_USERS) == at_leaf:
        raise ValueError(f"{user!r} is no user {'of a leaf' if at_leaf else 'of the hub'}")
    reads = partners if user in (GATEWAY_USER, NOTIFIER_USER) else [user]
    publish = ["$JS.API.INFO", *(f"$JS.API.STREAM.INFO.{reading(p, None if user in RESERVED_USERS else user, kind)[0]}"
                                 for p in reads)]
    if user not in RESERVED_USERS:
        publish.append(f"samen030.{user}.>")
    for stream, durable, subjects, domain in consumers_of(user, partners, kind):
        publish += consumer_rights(stream, durable, subjects, api_prefix(domain))
    return {"publish": {"allow": publish}, "subscribe": {"allow": [f"{inbox_prefix(user)}.>"]}}


def check_partner_ids(partners: list[str]) -> None:
    """A partner may not be called like one of the federation's own users."""
    if clash := sorted(set(partners) & set(RESERVED_USERS)):
        raise ConfigError(f"partner id(s) {', '.join(clash)} are NATS users of the federation itself; choose another")
