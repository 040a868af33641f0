"""What ``benchwh serve`` keeps between requests, keyed by the warehouse's stamp.

A file warehouse's stamp is the size and modification time of the file and its WAL; a
DuckLake's is its newest snapshot id (one small catalog query). Any write changes either, so
nothing cached outlives the data it was computed from. A warehouse whose stamp cannot be read
has none (None): its answers are computed per request, which reports what is wrong.

:class:`Background` computes one costly value (the overview's judged series) off the request
path: a request starts the computation for the current stamp when none is under way and
waits at most ``wait_s`` for it; if it is not ready, the request gets the last value computed
for an older stamp (or None) and says so on the page, never silently.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable


def warehouse_stamp(loc) -> tuple | None:
    if not loc.is_file:
        from benchwh.errors import BenchwhError
        from benchwh.warehouse.lake import current_snapshot

        try:
            return ("snapshot", current_snapshot(loc, timeout_s=1.0))
        except BenchwhError:
            return None
    if loc.path is None:
        return None
    out = []
    for p in (loc.path, loc.path.with_name(loc.path.name + ".wal")):
        try:
            st = p.stat()
            out.append((st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


class Cache:
    """Small LRU of answers keyed by page, query and stamp (a key holding a None stamp is
    never stored)."""

    def __init__(self, size: int = 64):
        self.size, self.items = size, OrderedDict()
        self.lock = threading.Lock()
        self.making: dict = {}

    def get(self, key):
        if key is None or key[-1] is None:
            return None
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            return self.items[key]

    def get_or_make(self, key, make: Callable[[], Any]):
        """The cached value of ``key``, else ``make()``'s, made once however many requests
        ask for it at the same moment (the others wait for it)."""
        hit = self.get(key)
        if hit is not None or key is None or key[-1] is None:
            return hit if hit is not None else make()
        with self.lock:
            gate = self.making.setdefault(key, threading.Lock())
        with gate:
            hit = self.get(key)
            if hit is None:
                hit = make()
                self.put(key, hit)
        with self.lock:
            self.making.pop(key, None)
        return hit

    def put(self, key, value) -> None:
        if key is None or key[-1] is None:
            return
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class Background:
    """``get(stamp)`` -> ``(value, fresh, started_at)``; see the module docstring. An error of
    the computation is raised to the request that waits for it (and the next one retries)."""

    def __init__(self, compute: Callable[[], Any], wait_s: float):
        self.compute, self.wait_s = compute, wait_s
        self.lock = threading.Lock()
        self.value: Any = None
        self.value_stamp: Any = object()  # matches no stamp
        self.running: tuple | None = None  # (stamp, event, started)
        self.error: tuple | None = None  # (stamp, exception)

    def _run(self, stamp, event) -> None:
        try:
            value = self.compute()
        except Exception as e:  # handed to the requests for this stamp
            with self.lock:
                self.error = (stamp, e)
                if self.running is not None and self.running[0] == stamp:
                    self.running = None
        else:
            with self.lock:
                mine = self.running is not None and self.running[0] == stamp
                if mine or self.running is None:  # an older computation never replaces a newer value
                    self.value, self.value_stamp = value, stamp
                if mine:
                    self.running, self.error = None, None
        finally:
            event.set()

    def start(self, stamp) -> None:
        with self.lock:
            self._start_locked(stamp)

    def _start_locked(self, stamp):
        if self.value_stamp == stamp:
            return None
        if self.running is None or self.running[0] != stamp:
            event = threading.Event()
            self.running = (stamp, event, time.time())
            threading.Thread(target=self._run, args=(stamp, event), daemon=True,
                             name="benchwh-serve-background").start()
        return self.running

    def wait(self, stamp, timeout_s: float) -> Any:
        """The value for ``stamp``, waiting up to ``timeout_s`` for a computation of it that is
        under way (starting one if none is); None if it is not ready by then."""
        if stamp is None:
            return None
        with self.lock:
            running = self._start_locked(stamp)
            if running is None:
                return self.value
        running[1].wait(timeout_s)
        return self.peek(stamp)

    def peek(self, stamp) -> Any:
        """The value computed for ``stamp``, or None (nothing started, nothing waited for)."""
        with self.lock:
            return self.value if stamp is not None and self.value_stamp == stamp else None

    def get(self, stamp) -> tuple[Any, bool, float | None]:
        if stamp is None:  # nothing to key a cache on: compute now
            return self.compute(), True, None
        with self.lock:
            if self.error is not None and self.error[0] == stamp:
                err, self.error = self.error[1], None
                raise err
            running = self._start_locked(stamp)
            if running is None:
                return self.value, True, None
        # Waited for at most wait_s after the computation began: later requests answer at once.
        running[1].wait(max(0.0, running[2] + self.wait_s - time.time()))
        with self.lock:
            if self.value_stamp == stamp:
                return self.value, True, None
            if self.error is not None and self.error[0] == stamp:
                err, self.error = self.error[1], None
                raise err
            return self.value, False, running[2]


class Gate:
    """Many shared holders or one exclusive one. DuckDB shares one database instance among a
    process's connections to a file, and the guarded SQL locks that instance's configuration:
    its connection must be alone (exclusive), the pages' reads may overlap (shared)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.shared_n = 0
        self.exclusive_held = False

    @contextmanager
    def shared(self):
        with self.cond:
            while self.exclusive_held:
                self.cond.wait()
            self.shared_n += 1
        try:
            yield
        finally:
            with self.cond:
                self.shared_n -= 1
                self.cond.notify_all()

    @contextmanager
    def exclusive(self):
        with self.cond:
            while self.exclusive_held or self.shared_n:
                self.cond.wait()
            self.exclusive_held = True
        try:
            yield
        finally:
            with self.cond:
                self.exclusive_held = False
                self.cond.notify_all()
