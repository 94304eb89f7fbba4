"""Addresses: the external ones people reach us at, and which redirects are safe."""

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


def base_url() -> str:
    return current_app.config["EVENTHUB_BASE_URL"].rstrip("/")


def external_url_adapter() -> MapAdapter:
    """The URL map bound to EVENTHUB_BASE_URL: bind once to build many external URLs."""
    base = urlsplit(base_url())
    return current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on EVENTHUB_BASE_URL, the address people reach us at.

    Built from the URL map directly, so it works without a request (CLI, workers).
    """
    anchor = values.pop("_anchor", None)
    url = external_url_adapter().build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def safe_next(target: str | None) -> str | None:
    """Only same-site paths may be redirected to, so links cannot bounce users elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target
