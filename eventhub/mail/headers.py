"""Header values written the way mail clients read them.

Python's email package (what Flask-Mail relies on) folds long headers by re-encoding them:
a URL over 78 characters became RFC 2047 encoded words (``=?utf-8?q?=3Chttps=3A//…?=``),
which Gmail and Outlook do not read as ``List-Unsubscribe``; subjects and display names were
cut inside words (``educ=?utf-8?q?aci=C3=B3n?=``, invalid), and Python's own parser reads
names cut between two encoded words with a space in the word ("Estaci ón").

Here each value is built once, already folded, and the generator leaves it alone
(``refold_source="none"`` in ``eventhub.mail.mime.WIRE_POLICY``):

* ASCII words stay as they are; folding happens only at the spaces between words;
* each run of words that needs encoding becomes encoded words of whole words where they fit
  (a space that separates two encoded words travels inside the first, as ``_``, because
  decoders drop the white space between encoded words); only a word longer than one encoded
  word can hold is split, between characters;
* URIs (``List-Unsubscribe``) are never encoded.

So every subject and name decodes to exactly the text written, in RFC 2047 decoders and in
Python's parser alike; the one case they cannot both read right, a run of non-ASCII words in
a display name too long for one encoded word (about 50 characters), is written as RFC 2047
says (Python's parser then reads one space twice).
"""

import re
import string
from email.utils import parseaddr

from eventhub.config import mail_host

MAX_LINE = 78  # RFC 5322's recommended line length, CRLF excluded
# RFC 2047 allows 75; shorter, so that one fits on the first line after "Reply-To: " too.
MAX_ENCODED_WORD = 66
_PREFIX, _SUFFIX = "=?utf-8?q?", "?="
# The characters an encoded word may carry as themselves anywhere, phrases included
# (RFC 2047, section 5 (3)); everything else is =XX, and a space is "_".
_Q_LITERAL = frozenset(string.ascii_letters + string.digits + "!*+-/")
_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_WORDS = re.compile(r"( *)([^ ]+)")  # a word and the spaces before it

# Headers whose values are URIs or keywords: sent as they are, and refused unless ASCII.
ASCII_ONLY = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-id", "list-help"})


def _q(char: str) -> str:
    if char == " ":
        return "_"
    if char in _Q_LITERAL:
        return char
    return "".join(f"={byte:02X}" for byte in char.encode())


def encoded_words(text: str) -> list[str]:
    """``text`` as encoded words of at most 66 characters, cut after a space where one is
    available, else between characters (never inside a UTF-8 sequence)."""
    room = MAX_ENCODED_WORD - len(_PREFIX) - len(_SUFFIX)
    words: list[str] = []
    current: list[str] = []  # encoded characters
    size = 0
    last_space = None  # index in ``current`` just after the last space
    for char in text:
        encoded = _q(char)
        if size + len(encoded) > room:
            cut = last_space if last_space else len(current)
            words.append(_PREFIX + "".join(current[:cut]) + _SUFFIX)
            current = current[cut:]
            size = sum(map(len, current))
            last_space = None
        current.append(encoded)
        size += len(encoded)
        if char == " ":
            last_space = len(current)
    if current:
        words.append(_PREFIX + "".join(current) + _SUFFIX)
    return words


def _needs_encoding(word: str) -> bool:
    # A word that looks like an encoded word would be decoded by the reader: encode it too.
    return not word.isascii() or "=?" in word


def _quoted(word: str) -> str:
    if word and all(char in _ATEXT for char in word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tokens(text: str, phrase: bool) -> list[tuple[str, str]]:
    """(white space before, token) pairs: plain words, quoted words and encoded words.

    White space between two encoded words is "" here: it is inside the first one."""
    tokens: list[tuple[str, str]] = []
    run: tuple[str, str] | None = None  # (white space before, text) of words to encode
    for match in _WORDS.finditer(text):
        space, word = match.groups()
        if _needs_encoding(word):
            run = (run[0], run[1] + space + word) if run else (space, word)
            continue
        if run:
            tokens += _encoded_run(*run)
            run = None
        tokens.append((space, _quoted(word) if phrase else word))
    if run:
        tokens += _encoded_run(*run)
    return tokens


def _encoded_run(space: str, text: str) -> list[tuple[str, str]]:
    words = encoded_words(text)
    return [(space, words[0])] + [("", word) for word in words[1:]]


def _fold(name: str, tokens: list[tuple[str, str]]) -> str:
    """Tokens on lines of at most 78 characters where possible, folded at white space only
    (a token longer than a line gets a line of its own; RFC 5322 allows 998)."""
    lines: list[str] = []
    line = f"{name}:"
    first = True
    for space, token in tokens:
        gap = space or " "
        if first:
            line += " " + token
            first = False
        elif len(line) + len(gap) + len(token) <= MAX_LINE:
            line += gap + token
        else:
            lines.append(line)
            line = gap + token
    lines.append(line)
    return "\r\n".join(lines)[len(name) + 2 :]


def unstructured(name: str, text: str) -> str:
    """A Subject (or any free-text header) value, encoded and folded."""
    if name.lower() in ASCII_ONLY:
        if not text.isascii():
            raise ValueError(f"the {name} header must be ASCII")
        return _fold(name, [(" ", word) for word in text.split(" ") if word])
    return _fold(name, _tokens(text, phrase=False))


def _addr_spec(address: str) -> str:
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    return f"{local}@{mail_host(domain)}"


_NAME_ADDR = re.compile(r"\s*(.*?)\s*<([^<>\s]+)>\s*")


def split_address(value: str) -> tuple[str, str]:
    """(display name, address) of "Name <address>", "\"Name\" <address>" or an address.

    The name is taken as written, commas included: parseaddr() would read
    "OIM Chile, Ñuñoa <eventos@example.org>" as the address "OIM"."""
    match = _NAME_ADDR.fullmatch(value)
    if not match:
        display, addr = parseaddr(value)
        return display, addr or value.strip()
    display, addr = match.groups()
    if len(display) >= 2 and display[0] == display[-1] == '"':
        display = re.sub(r"\\(.)", r"\1", display[1:-1])
    return display, addr


def address(name: str, value: str) -> str:
    """An address header (From, Reply-To): ``value`` is an address or "Name <address>"."""
    return mailbox(name, *split_address(value))


def mailbox(name: str, display_name: str | None, addr: str) -> str:
    tokens = _tokens(display_name, phrase=True) if display_name else []
    tokens.append((" ", f"<{_addr_spec(addr)}>"))
    return _fold(name, tokens)
