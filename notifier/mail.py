"""Sending a delivery's mail over SMTP (SAMEN030_SMTP_URL, SAMEN030_MAIL_FROM). The Message-ID is made
from the delivery id, so a mail sent twice (a crash between sending and recording it) is recognisably
the same mail."""
import os
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_SMTP_URL = "smtp://127.0.0.1:8025"
DEFAULT_FROM = "SAMEN030 <noreply@samen030.test>"
TIMEOUT = 10.0


def smtp_url() -> str:
    return os.environ.get("SAMEN030_SMTP_URL", DEFAULT_SMTP_URL)


def mail_from() -> str:
    return os.environ.get("SAMEN030_MAIL_FROM", DEFAULT_FROM)


def message_id(delivery_id: str, sender: str | None = None) -> str:
    domain = parseaddr(sender or mail_from())[1].rpartition("@")[2] or "samen030.test"
    return f"<{delivery_id}@{domain}>"


def build_message(delivery: dict, sender: str | None = None) -> EmailMessage:
    """`delivery`: a deliveries row (id, event_id, recipient, subject, body)."""
    sender = sender or mail_from()
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = delivery["recipient"]
    msg["Subject"] = delivery["subject"]
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id(delivery["id"], sender)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Samen030-Delivery"] = delivery["id"]
    msg["X-Samen030-Event"] = delivery["event_id"]
    msg.set_content(delivery["body"], charset="utf-8")
    return msg


def send_mail(delivery: dict, url: str | None = None) -> None:
    """Send one delivery; raises on any failure. smtp://[user:password@]host:port, smtps:// for TLS
    from the start, ?starttls=1 to upgrade a plain connection."""
    parts = urlsplit(url or smtp_url())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SAMEN030_SMTP_URL must be smtp:// or smtps://, not {parts.scheme!r}")
    cls = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    with cls(parts.hostname or "127.0.0.1", port, timeout=TIMEOUT) as smtp:
        if parse_qs(parts.query).get("starttls", ["0"])[0] in ("1", "true", "yes"):
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(build_message(delivery))
