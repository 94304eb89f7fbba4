"""Answering calendar polls from memory: feed versions, resolved feed tokens, built calendars.

Calendar clients poll every feed all day long and almost always have the current version. A
poll therefore should not cost SQL: each worker process remembers what it computed.

- Versions and resolved tokens are kept until this process commits anything (any commit on
  any connection, so no service can forget to invalidate) and for at most
  ``FEED_VERSION_TTL`` seconds, which bounds how long a change made by *another* process
  (another gunicorn worker, another machine, a CLI command) can go unseen: a poll in that
  window gets the version from before the change and sees it on its next poll. 0 turns the
  cache off.
- Built calendars are kept by ETag (and calendar name): the ETag is a digest of what the
  calendar shows, so the same ETag means the same bytes. Bounded by ``FEED_CACHE_BYTES``.

Each Flask app has its own caches (``app.extensions``), so apps on different databases
(tests) never share entries.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

_generation = 0
_generation_lock = threading.Lock()


@sa_event.listens_for(Engine, "commit")
def _committed(_connection) -> None:
    global _generation
    with _generation_lock:
        _generation += 1


def generation() -> int:
    """Moves on every commit made by this process."""
    return _generation


class _Caches:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.versions: dict[tuple, tuple[Any, int, float]] = {}
        self.bodies: OrderedDict[tuple, bytes] = OrderedDict()
        self.body_bytes = 0


MAX_VERSION_ENTRIES = 4096


def _caches() -> _Caches:
    return current_app.extensions.setdefault("eventhub_feed_cache", _Caches())


def remembered(key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``'s value, reused while nothing was committed here and the TTL runs."""
    ttl = current_app.config["FEED_VERSION_TTL"]
    if ttl <= 0:
        return compute()
    caches = _caches()
    now = time.monotonic()
    entry = caches.versions.get(key)
    if entry is not None and entry[1] == _generation and entry[2] > now:
        return entry[0]
    # Read before computing: a commit during the computation leaves the entry stale at once.
    seen = _generation
    value = compute()
    with caches.lock:
        if len(caches.versions) >= MAX_VERSION_ENTRIES:
            caches.versions.clear()
        caches.versions[key] = (value, seen, now + ttl)
    return value


def body(key: tuple, build: Callable[[], bytes]) -> bytes:
    """The calendar's bytes for a key naming its content (its ETag), built once."""
    limit = current_app.config["FEED_CACHE_BYTES"]
    caches = _caches()
    with caches.lock:
        found = caches.bodies.get(key)
        if found is not None:
            caches.bodies.move_to_end(key)
            return found
    data = build()
    if len(data) > limit:
        return data
    with caches.lock:
        if key not in caches.bodies:
            caches.bodies[key] = data
            caches.body_bytes += len(data)
        while caches.body_bytes > limit:
            _key, dropped = caches.bodies.popitem(last=False)
            caches.body_bytes -= len(dropped)
    return data
