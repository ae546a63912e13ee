"""A local SMTP sink for the local federation and the tests: every mail it receives is written to
<directory>/<UTC time>-<n>.eml and summed up in one log line; nothing is relayed anywhere."""
import itertools
import logging
import os
import threading
from datetime import datetime, timezone
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)
DEFAULT_PORT = 8025


class MailSink:
    """The aiosmtpd handler: keeps what came (for tests) and writes it to `directory`."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else None
        self.received: list = []  # email.message.EmailMessage, in order of arrival
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, _server, _session, envelope):
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        with self._lock:
            n = next(self._counter)
            self.received.append(message)
        if self.directory:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
            path = self.directory / f"{stamp}-{n}.eml"
            partial = path.with_suffix(".part")
            partial.write_bytes(raw)
            os.replace(partial, path)
        log.info("mail to %s: %s [%s]", ", ".join(envelope.rcpt_tos), message["Subject"], message["Message-ID"])
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self._lock:
            return [m["Message-ID"] for m in self.received]


def start_smtp_sink(port: int = DEFAULT_PORT, directory: Path | None = None,
                    host: str = "127.0.0.1") -> tuple[Controller, MailSink]:
    """Start the sink in a thread; stop it with `controller.stop()`."""
    sink = MailSink(directory)
    controller = Controller(sink, hostname=host, port=port)
    controller.start()
    return controller, sink
