"""What each kind of message is called on the outbox pages.

The outbox knows no domain: each domain names the topics it writes (``register``) beside the
code that builds its mail, and the outbox shows the name in the reader's language instead of
the stored key ("invitation", "commitment-reminder").
"""

_LABELS: dict[str, object] = {}


def register(topic: str, label) -> None:
    """``label``: a lazy string, so it is translated when shown, not when registered."""
    _LABELS[topic] = label


def label(topic: str | None) -> str:
    if not topic:
        return ""
    known = _LABELS.get(topic)
    return str(known) if known is not None else topic
