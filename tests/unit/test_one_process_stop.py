"""SIGTERM stops a process serving on waitress wherever its main thread is, also while waitress is
handling a connection: waitress logs and swallows any exception from a connection's handlers except
SystemExit, KeyboardInterrupt and its own ExitNow."""
import pytest
from waitress import wasyncore

from samen030.kernel.one_process import Stopped


class ClosingConnection:
    def handle_read_event(self):
        raise Stopped()  # the signal handler, run while this connection was being closed

    def handle_error(self):
        raise AssertionError("swallowed: the process would keep serving")


def test_the_stop_signal_is_not_swallowed_by_a_connections_handler():
    with pytest.raises(Stopped):
        wasyncore.read(ClosingConnection())
