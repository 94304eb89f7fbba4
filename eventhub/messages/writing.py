"""A message's words: its placeholders, and the email rendered once per language.

Placeholders are a name in braces, ``{name}``; Spanish names work too (``{nombre}``). Any other
name in braces is refused before anything is queued, so nobody receives a literal ``{nmae}``.
The Markdown body goes through the minutes' sanitiser once per language with an unguessable
slot where each placeholder stood; each person's values are then put in the slots, escaped
for HTML: a name can never become Markdown or markup, and a thousand emails cost one render.
"""

import re
import secrets
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from eventhub.errors import DomainError
from eventhub.events.models import Event
from eventhub.formatting import event_time_range
from eventhub.markdown import render_markdown
from eventhub.text import clean

SUBJECT_MAX = 200
BODY_MAX = 20_000

# The placeholders, each with its Spanish name: what the form's help lists, in this order.
PLACEHOLDERS = {
    "name": "nombre",
    "link": "enlace",
    "event_title": "evento",
    "event_date": "fecha",
    "event_place": "lugar",
}
_CANONICAL = {**{key: key for key in PLACEHOLDERS}, **{es: en for en, es in PLACEHOLDERS.items()}}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def unknown_placeholders(text: str | None) -> list[str]:
    found = _PLACEHOLDER.findall(text or "")
    return list(dict.fromkeys(name for name in found if name not in _CANONICAL))


def checked_text(subject: str | None, body: str | None) -> tuple[str, str]:
    """The subject and body as they will be kept; refused (beside the field) when empty,
    too long, or naming a placeholder that does not exist."""
    kept_subject = clean(subject)
    kept_body = clean(body, one_line=False)
    for field, text, limit in (
        ("subject", kept_subject, SUBJECT_MAX),
        ("body", kept_body, BODY_MAX),
    ):
        if not text:
            raise DomainError(_("This field is required."), field=field)
        if len(text) > limit:
            raise DomainError(_("At most %(max)d characters.", max=limit), field=field)
        unknown = unknown_placeholders(text)
        if unknown:
            raise DomainError(
                _(
                    "Unknown placeholder: %(names)s. Use %(known)s.",
                    names=", ".join(f"{{{name}}}" for name in unknown),
                    known=", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
                ),
                field=field,
            )
    assert kept_subject is not None and kept_body is not None
    return kept_subject, kept_body


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    # The body alone as HTML, for the preview on the page (the email's shell has inline
    # styles, which the page's CSP refuses).
    body_html: Markup


def event_values(event: Event) -> dict[str, str]:
    """The event's placeholders, in the current language."""
    place = ", ".join(part for part in (event.venue_name, event.venue_address) if part)
    return {
        "event_title": event.title,
        "event_date": event_time_range(event.starts_at, event.ends_at, event.timezone),
        "event_place": place or _("to be confirmed"),
    }


class Layouts:
    """A message's email rendered once per language and kind of recipient, with slots for
    each person's values, then filled per person."""

    def __init__(self, event: Event, subject: str, body: str):
        self.event = event
        self.subject = subject
        self.body = body
        self._nonce = secrets.token_hex(8)
        self._slots = re.compile(f"Z{self._nonce}Q(\\w+?)Z")
        self._layouts: dict[tuple[str, bool], tuple[str, str, Markup]] = {}
        self._event_values: dict[str, dict[str, str]] = {}

    def _slot(self, name: str) -> str:
        return f"Z{self._nonce}Q{name}Z"

    def _slotted(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self._slot(_CANONICAL[m.group(1)]), text)

    def _layout(self, language: str, can_opt_out: bool) -> tuple[str, str, Markup]:
        key = (language, can_opt_out)
        if key not in self._layouts:
            with force_locale(language):
                self._event_values[language] = event_values(self.event)
                body_html = render_markdown(self._slotted(self.body))
                context = {
                    "event": self.event,
                    "language": language,
                    "body_text": self._slotted(self.body),
                    "body_html": body_html,
                    "link": self._slot("link"),
                    "opt_out": self._slot("opt_out") if can_opt_out else None,
                }
                text = render_template("emails/organiser_message.txt", **context)
                html = render_template("emails/organiser_message.html", **context)
            self._layouts[key] = (text, html, body_html)
        return self._layouts[key]

    def render(self, language: str, name: str, link: str, opt_out: str | None = None) -> Rendered:
        text, html, body_html = self._layout(language, opt_out is not None)
        values = {
            **self._event_values[language],
            "name": name,
            "link": link,
            "opt_out": opt_out or "",
        }
        escaped = {key: str(escape(value)) for key, value in values.items()}

        def fill_html(slot: re.Match) -> str:
            return escaped[slot.group(1)]

        return Rendered(
            subject=_PLACEHOLDER.sub(lambda m: values[_CANONICAL[m.group(1)]], self.subject),
            text=self._slots.sub(lambda m: values[m.group(1)], text),
            html=self._slots.sub(fill_html, html),
            body_html=Markup(self._slots.sub(fill_html, body_html)),  # noqa: S704 - escaped values in sanitised HTML
        )
