"""Answering the hottest reads from memory: calendar polls, calendars, anonymous pages, and
the part of the events list every organiser sees alike.

Calendar clients poll every feed all day long and almost always have the current version;
visitors read the same public event pages over and over. Each worker process remembers what
it computed:

- Values (feed versions, resolved feed tokens) and anonymous pages are kept until this
  process commits anything (any commit on any connection, so no service can forget to
  invalidate) and for at most ``CACHE_TTL`` seconds, which bounds how long a change made by
  *another* process (another gunicorn worker, another machine, a CLI command) or the passing
  of time (a registration deadline) can go unseen. 0 turns all of this off.
- Built calendars are kept by ETag: the ETag is a digest of what the calendar shows, so the
  same ETag means the same bytes. Bounded by ``FEED_CACHE_BYTES``.

Each Flask app has its own caches (``app.extensions``), so apps on different databases
(tests) never share entries.
"""

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

from eventhub import personal

_generation = 0
_generation_lock = threading.Lock()

MAX_ENTRIES = 4096
MAX_PAGE_BYTES = 32 * 1024 * 1024


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
        self.values: dict[tuple, tuple[Any, int, float]] = {}
        self.bodies = _Bounded()
        self.pages = _Bounded()
        # Stands for the visitor's CSRF token in a remembered page; unguessable, so no
        # content can contain it.
        self.csrf_slot = f"csrf-slot-{secrets.token_hex(16)}"


def _size(value) -> int:
    return len(value[0] if isinstance(value, tuple) else value)


class _Bounded:
    """An LRU of strings or bytes (or tuples led by one), bounded by their total size."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, Any] = OrderedDict()
        self.size = 0

    def get(self, key: tuple):
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: tuple, value, limit: int) -> None:
        if _size(value) > limit:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= _size(old)
        self.entries[key] = value
        self.size += _size(value)
        while self.size > limit:
            _key, dropped = self.entries.popitem(last=False)
            self.size -= _size(dropped)


def _caches() -> _Caches:
    caches = current_app.extensions.get("eventhub_cache")
    if caches is None:
        caches = current_app.extensions.setdefault("eventhub_cache", _Caches())
    return caches


def _ttl() -> float:
    return current_app.config["CACHE_TTL"]


def remembered(key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``'s value, reused while nothing was committed here and the TTL runs."""
    return _remembered(key, compute, lambda _value: True)


def _remembered(key: tuple, compute: Callable[[], Any], keep: Callable[[Any], bool]) -> Any:
    ttl = _ttl()
    if ttl <= 0:
        return compute()
    caches = _caches()
    now = time.monotonic()
    entry = caches.values.get(key)
    if entry is not None and entry[1] == _generation and entry[2] > now:
        return entry[0]
    # Read before computing: a commit during the computation leaves the entry stale at once.
    seen = _generation
    value = compute()
    if not keep(value):
        return value
    with caches.lock:
        if len(caches.values) >= MAX_ENTRIES:
            caches.values.clear()
        caches.values[key] = (value, seen, now + ttl)
    return value


def organiser_fragment(name: str, render: Callable[[], str]) -> str:
    """A part of a signed-in page that is the same for every organiser, whoever reads it
    (the events list shows every event to every organiser, with the same filters and
    words), remembered by address and language as ``remembered`` keeps values. The rest of
    the page (the reader's name, their CSRF token, their messages) is rendered around it
    for each request, so no organiser is shown another's; a fragment that came out holding
    the reader's CSRF token is never kept, should a form that posts ever be put in one."""
    if request.method != "GET" or not current_user.is_authenticated:
        return render()
    key = ("organiser_fragment", name, request.host, request.full_path, str(get_locale()))
    return _remembered(key, render, lambda fragment: generate_csrf() not in fragment)


def body(key: tuple, build: Callable[[], bytes]) -> bytes:
    """The calendar's bytes for a key naming its content (its ETag), built once."""
    caches = _caches()
    with caches.lock:
        found = caches.bodies.get(key)
    if found is not None:
        return found
    data = build()
    with caches.lock:
        caches.bodies.put(key, data, current_app.config["FEED_CACHE_BYTES"])
    return data


def anonymous_page(render: Callable[[], str]) -> str:
    """The page ``render()`` gives, remembered for visitors who are not signed in.

    Such a visitor's page differs from another's only by the CSRF token in its forms: the
    page is rendered once with a slot there and each visitor's own token is put in. Signed-in
    organisers, pages with a message to flash, requests that already made their token and
    pages behind a personal link (one person's data) are rendered as usual.
    """
    ttl = _ttl()
    if (
        ttl <= 0
        or request.method != "GET"
        or personal.is_personal_request()
        or current_user.is_authenticated
        or "_flashes" in session
        or "csrf_token" in g
    ):
        return render()
    caches = _caches()
    key = (request.host, request.full_path, str(get_locale()))
    now = time.monotonic()
    with caches.lock:
        entry = caches.pages.get(key)
    if entry is None or entry[1] != _generation or entry[2] <= now:
        seen = _generation
        g.csrf_token = caches.csrf_slot
        try:
            page = render()
        finally:
            g.pop("csrf_token", None)
        entry = (page, seen, now + ttl)
        with caches.lock:
            caches.pages.put(key, entry, MAX_PAGE_BYTES)
    return entry[0].replace(caches.csrf_slot, generate_csrf())
