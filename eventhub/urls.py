from urllib.parse import urlsplit


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
