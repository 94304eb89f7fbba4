"""Cleaning what people type, and comparing names the way people read them."""

import re
import unicodedata

# Unicode's control characters (category Cc) are exactly these: one regex, not a lookup per
# character (headers of hundreds of queued emails go through here).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_TAB_AND_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str | None, *, one_line: bool = True) -> str | None:
    """Trimmed text in composed Unicode form, without control characters; empty means ``None``.

    One-line text also has its runs of spaces and line breaks made into single spaces.
    """
    text = unicodedata.normalize("NFC", text or "")
    if not one_line:
        # Browsers send a textarea's line breaks as CRLF: stored as LF, an unchanged text
        # compares equal on the next edit (the CR would otherwise become a space each time).
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = (_CONTROLS if one_line else _CONTROLS_BUT_TAB_AND_NEWLINE).sub(" ", text)
    text = " ".join(text.split()) if one_line else text.strip()
    return text or None


def fold(text: str) -> str:
    """A comparison key: no accents, no case, no apostrophes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for mark in ("'", "’", "`", "´"):
        bare = bare.replace(mark, "")
    bare = bare.replace("_", " ").replace("-", " ")
    return " ".join(bare.casefold().split())


SEARCH_MAX = 200


def search_term(text: str | None) -> str | None:
    """What a search box looks for: clean text, cut to a length no name or title exceeds.

    SQLite refuses LIKE patterns over 50,000 bytes ("pattern too complex"); a longer search
    could match nothing anyway.
    """
    term = clean(text)
    return term[:SEARCH_MAX] if term else None
