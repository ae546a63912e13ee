"""Who may do what on the shared nats-server (rule 5 of the federation): per user an allow list with
every stream and every consumer spelt out, so that a partner publishes only under its own subjects,
creates no stream, and creates, reads, pulls from, acks and deletes only the consumers it owns.

The operator (`admin`) provisions the partner streams (kernel/bus.py `provision_streams`); the other
users only read them. A consumer right is the set of JetStream API subjects that name the stream and
the consumer, never the bare `$JS.API.CONSUMER.CREATE.<stream>` (whose body could name any consumer);
nats-server refuses a create whose body names another consumer than its subject. Replies come to an
inbox of the user's own (`_INBOX_<user>`), which no other user may subscribe to."""

from .config import ConfigError

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
    return f"samen030-{partner}"


# What a partner's follow-up worker reads (samen030.<partner>.<these>): the other partners' answers to its
# referrals and their erasures of requests it was referred, and its own members' erasures.
ANSWERS, REQUEST_ERASED, MEMBER_ERASED = "requests.request.changed", "requests.request.erased", "members.member.erased"


def consumers_of(user: str, partners: list[str]) -> list[tuple[str, str, str]]:
    """(stream, durable, the subjects it reads) of every consumer `user` owns."""
    if user in (GATEWAY_USER, NOTIFIER_USER):
        durable = GATEWAY_DURABLE if user == GATEWAY_USER else NOTIFIER_DURABLE
        return [(stream_name(p), durable, f"samen030.{p}.>") for p in partners]
    return ([(stream_name(p), followup_durable(user), f"samen030.{p}.{ANSWERS}") for p in partners if p != user]
            + [(stream_name(user), erasures_durable(user), f"samen030.{user}.{MEMBER_ERASED}")]
            + [(stream_name(p), erasures_durable(user), f"samen030.{p}.{REQUEST_ERASED}") for p in partners if p != user])


def consumer_rights(stream: str, durable: str, subjects: str) -> list[str]:
    """Only the create form that names the consumer's filter (nats-server refuses a body whose filter or
    name differs from its subject), so a consumer reads only what it was made for."""
    api = "$JS.API.CONSUMER"
    return [f"{api}.CREATE.{stream}.{durable}.{subjects}", f"{api}.INFO.{stream}.{durable}",
            f"{api}.DELETE.{stream}.{durable}", f"{api}.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>"]


def permissions(user: str, partners: list[str]) -> dict | None:
    """The nats-server permissions of `user` in a federation of `partners`; None: everything (admin)."""
    if user == ADMIN_USER:
        return None
    if user not in RESERVED_USERS and user not in partners:
        raise ValueError(f"{user!r} is no partner of the federation ({', '.join(partners)})")
    reads = partners if user in (GATEWAY_USER, NOTIFIER_USER) else [user]
    publish = ["$JS.API.INFO", *(f"$JS.API.STREAM.INFO.{stream_name(p)}" for p in reads)]
    if user not in RESERVED_USERS:
        publish.append(f"samen030.{user}.>")
    for stream, durable, subjects in consumers_of(user, partners):
        publish += consumer_rights(stream, durable, subjects)
    return {"publish": {"allow": publish}, "subscribe": {"allow": [f"{inbox_prefix(user)}.>"]}}


def check_partner_ids(partners: list[str]) -> None:
    """A partner may not be called like one of the federation's own users."""
    if clash := sorted(set(partners) & set(RESERVED_USERS)):
        raise ConfigError(f"partner id(s) {', '.join(clash)} are NATS users of the federation itself; choose another")
