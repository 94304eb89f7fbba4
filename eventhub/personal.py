"""Pages behind a personal link (/i/, /r/, /c/, private feeds): one person's data, no account.

Such a page shows a name, an address, needs, a QR code. No shared cache may keep it and no
search engine may list it, whatever the response (a form error, a 404 for a revoked link),
so the headers are set after each request of a view marked ``@personal``; the anonymous page
cache (eventhub/cache.py) never stores one. The page speaks the language of the invitation,
registration or contact behind the link unless the visitor chose one with the switch.
"""

from collections.abc import Callable

from flask import current_app, g, has_request_context, request
from flask_babel import refresh

HEADERS = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}
# A private feed is polled with If-None-Match: no shared cache may keep it, but the client may
# keep its copy and revalidate it, or every poll would download the whole calendar again.
FEED_HEADERS = {"Cache-Control": "private, no-cache", "X-Robots-Tag": "noindex"}


def personal(view: Callable) -> Callable:
    """Mark a view as showing one person's data (see the module docstring)."""
    view.shows_personal_data = True  # type: ignore[attr-defined]  # a mark on the function
    return view


def personal_feed(view: Callable) -> Callable:
    """Mark a calendar feed of one person's events: private, but revalidated, not refetched."""
    view.shows_personal_data = "feed"  # type: ignore[attr-defined]  # a mark on the function
    return view


def is_personal_request() -> bool:
    return bool(_marking())


def _marking() -> bool | str:
    if not has_request_context() or request.endpoint is None:
        return False
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "shows_personal_data", False)


def add_headers(response):
    marking = _marking()
    if marking:
        response.headers.update(FEED_HEADERS if marking == "feed" else HEADERS)
    return response


def follow_language(language: str | None) -> None:
    """Speak the person's language on this page (the locale selector reads it)."""
    g.personal_language = language
    refresh()  # the locale may already have been read in this request


def page_language() -> str | None:
    return g.get("personal_language") if has_request_context() else None
