"""A sliding-window limit per key (a client's address), in the memory of one process: enough to keep one
sender from flooding an endpoint that is open without a token. Behind several processes each keeps its
own count; a reverse proxy's limit is the place for a city-wide one."""
import threading
import time
from collections import OrderedDict, deque

MAX_KEYS = 10_000  # the least recently seen senders are forgotten beyond this


class SlidingWindow:
    def __init__(self, limit: int, seconds: float, clock=time.monotonic):
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self.seen: OrderedDict[str, deque] = OrderedDict()
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Counts this attempt; False when `key` already made `limit` attempts within the window."""
        now = self.clock()
        with self.lock:
            times = self.seen.pop(key, None) or deque()
            while times and times[0] <= now - self.seconds:
                times.popleft()
            self.seen[key] = times
            if len(self.seen) > MAX_KEYS:
                self.seen.popitem(last=False)
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

    def retry_after(self, key: str) -> int:
        with self.lock:
            times = self.seen.get(key)
            return max(1, int(times[0] + self.seconds - self.clock()) + 1) if times else 1
