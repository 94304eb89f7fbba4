"""Answering the hottest reads from memory: calendar polls, calendars, anonymous pages, the
part of the events list every organiser sees alike, and each organiser's own pages.

Calendar clients poll every feed all day long and almost always have the current version;
visitors read the same public event pages over and over. Each worker process remembers what
it computed:

- Values (feed versions, resolved feed tokens) and anonymous pages are kept until this
  process commits anything (any commit on any connection, so no service can forget to
  invalidate) and for at most ``CACHE_TTL`` seconds, which bounds how long a change made by
  *another* process (another gunicorn worker, another machine, a CLI command) or the passing
  of time (a registration deadline) can go unseen. 0 turns all of this off.
- An organiser's pages (``for_each_reader``) are kept for that organiser alone, and only
  while nothing was committed to the database by anyone: besides this process's commits,
  each use asks the database whether any other connection committed since (``database_mark``,
  one statement), so the page after a change made on another worker is never the old one.
  They are also kept for at most ``CACHE_TTL`` seconds, for what the passing of time changes.
- Built calendars are kept by ETag: the ETag is a digest of what the calendar shows, so the
  same ETag means the same bytes. Bounded by ``FEED_CACHE_BYTES``.

Each Flask app has its own caches (``app.extensions``), so apps on different databases
(tests) never share entries.
"""

import itertools
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine

from eventhub import personal
from eventhub.extensions import db

_generation = 0
_generation_lock = threading.Lock()

MAX_ENTRIES = 4096
MAX_PAGE_BYTES = 32 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 2 * 1024 * 1024


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
        self.reader_pages = _Bounded()
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
    mark = database_mark()
    if mark is None:
        return render()
    key = ("organiser_fragment", name, request.host, request.full_path, str(get_locale()), mark)
    return _remembered(key, render, lambda fragment: generate_csrf() not in fragment)


# Names each database connection for as long as it lives: SQLite's data_version is a
# per-connection count, comparable only with an earlier reading on the same connection.
_connection_serials = itertools.count(1)


def database_mark() -> tuple | None:
    """A value that changes whenever another connection (another worker, another machine, a
    CLI command) commits a change to the database; None when the database cannot say.

    Commits made by this process are seen by ``generation()``; this sees everyone else's.
    SQLite counts them per connection (``PRAGMA data_version``). PostgreSQL's current
    snapshot (lowest running transaction, next transaction id, those in progress) moves on
    with every transaction that writes, and a commit either takes its transaction out of
    those in progress or happens after a new id was handed out, so no commit leaves it as
    it was. Transactions that end without committing move it too, and so do those of the
    server's other databases; that only costs a miss.
    """
    connection = db.session.connection()
    name = connection.dialect.name
    if name == "sqlite":
        info = connection.connection.info
        if "eventhub_serial" not in info:
            info["eventhub_serial"] = next(_connection_serials)
        version = connection.exec_driver_sql("PRAGMA data_version").scalar()
        return (info["eventhub_serial"], version)
    if name == "postgresql":
        return (connection.exec_driver_sql("SELECT pg_current_snapshot()::text").scalar(),)
    return None


def for_each_reader(view: Callable) -> Callable:
    """A signed-in page kept for the organiser who read it, until anything is committed to
    the database by anyone (``generation`` and ``database_mark``) or ``CACHE_TTL`` passes.

    The key holds the reader's account, the address and the language, so no organiser is
    ever shown a page made for another; the reader's CSRF token is put in on each use, as
    for anonymous pages. Pages with a message to flash, requests that already made their
    token, and answers that are not a page (a redirect, an error) are not kept. A view
    decorated here must read nothing else of the request: no cookie, no session value but
    the language.
    """

    @wraps(view)
    def remembered_view(*args, **kwargs):
        if (
            _ttl() <= 0
            or request.method != "GET"
            or not current_user.is_authenticated
            or "_flashes" in session
            or "csrf_token" in g
        ):
            return view(*args, **kwargs)
        # Read before the page's own reads: a commit while it renders makes the copy stale.
        seen = _generation
        mark = database_mark()
        if mark is None:
            return view(*args, **kwargs)
        caches = _caches()
        key = (current_user.id, request.host, request.full_path, str(get_locale()))
        now = time.monotonic()
        with caches.lock:
            entry = caches.reader_pages.get(key)
        if entry is not None and entry[1:3] == (seen, mark) and entry[3] > now:
            if isinstance(entry[0], _Download):
                return Response(entry[0].data, headers=entry[0].headers)
            return entry[0].replace(caches.csrf_slot, generate_csrf())
        g.csrf_token = caches.csrf_slot
        try:
            page = view(*args, **kwargs)
        finally:
            g.pop("csrf_token", None)
        if isinstance(page, tuple) and len(page) == 2 and page[1] == 200:
            page = page[0]  # a view that can also answer with its form refused (422)
        if "_flashes" in session:
            return _token_put_in(page, caches.csrf_slot)
        expires = now + _ttl()

        def keep(value) -> None:
            # Called for a download once it was streamed, outside the request's context.
            with caches.lock:
                caches.reader_pages.put(key, (value, seen, mark, expires), MAX_PAGE_BYTES)

        if isinstance(page, Response) and page.status_code == 200 and page.is_streamed:
            return _kept_while_sent(page, keep)
        if not isinstance(page, str):
            return _token_put_in(page, caches.csrf_slot)
        keep(page)
        return page.replace(caches.csrf_slot, generate_csrf())

    return remembered_view


class _Download:
    """A file a view streamed, kept whole with its headers (its name, its type)."""

    def __init__(self, data: bytes, headers: list[tuple[str, str]]) -> None:
        self.data = data
        self.headers = headers

    def __len__(self) -> int:
        return len(self.data)


def _kept_while_sent(response: Response, keep: Callable[[_Download], None]) -> Response:
    """``response``, streamed as before, and kept once it was sent whole, unless it grew
    past ``MAX_DOWNLOAD_BYTES``: a big export is streamed, never held."""
    response.response = _KeptWhileSent(response.response, list(response.headers.items()), keep)
    return response


class _KeptWhileSent:
    """The chunks of a streamed response, passed on and copied while they are few enough.
    Closing it closes what it reads (a stream's request context, its database cursor),
    even when it was never read."""

    def __init__(self, chunks, headers: list[tuple[str, str]], keep) -> None:
        self.chunks = chunks
        self.headers = headers
        self.keep = keep

    def __iter__(self):
        kept: list[bytes] = []
        size = 0
        for chunk in self.chunks:
            if size <= MAX_DOWNLOAD_BYTES:
                data = chunk.encode() if isinstance(chunk, str) else chunk
                size += len(data)
                kept.append(data)
                if size > MAX_DOWNLOAD_BYTES:
                    kept.clear()
            yield chunk
        if size <= MAX_DOWNLOAD_BYTES:
            self.keep(_Download(b"".join(kept), self.headers))

    def close(self) -> None:
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


def _token_put_in(answer, slot: str):
    """A view's answer other than a page (a response, a page with a status) with the
    reader's token in place of the slot it may have been rendered with."""
    if isinstance(answer, tuple):
        return (_token_put_in(answer[0], slot), *answer[1:])
    if isinstance(answer, str):
        return answer.replace(slot, generate_csrf())
    if isinstance(answer, Response) and not answer.is_streamed:
        data = answer.get_data()
        if slot.encode() in data:
            answer.set_data(data.replace(slot.encode(), generate_csrf().encode()))
    return answer


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
