"""A progress bar on stderr for long command-line jobs: rows done of the total and the rate, redrawn in
place on a terminal; in a log or a pipe only one line per finished phase."""
import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_SECONDS = 0.1


class ProgressBar:
    """Call it with (phase, done, total) as often as you like; a new phase finishes the previous one."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.phase, self.done, self.total, self.started, self.drawn = None, 0, 0, 0.0, 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase != self.phase:
            self.finish()
            self.phase, self.started, self.drawn = phase, now, 0.0
        self.done, self.total = done, total
        if self.live and now - self.drawn >= REDRAW_SECONDS:
            self.stream.write("\r" + self._line(now))
            self.stream.flush()
            self.drawn = now

    def finish(self) -> None:
        if self.phase is not None:
            now = time.monotonic()
            self.stream.write(("\r" if self.live else "") + f"{self._line(now)}  {now - self.started:.1f} s\n")
            self.stream.flush()
            self.phase = None

    def _line(self, now: float) -> str:
        filled = WIDTH * self.done // self.total if self.total else WIDTH
        rate = self.done / max(now - self.started, 1e-6)
        return (f"{self.phase:<24} [{'#' * filled}{'.' * (WIDTH - filled)}] "
                f"{self.done:,}/{self.total:,}  {rate:,.0f}/s").replace(",", ".")

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.finish()
