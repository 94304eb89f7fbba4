"""The invitation email, in the invitee's language, with the event attached as .ics."""

import re
import secrets
from dataclasses import dataclass

from babel.lists import format_list
from flask import current_app, render_template, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import escape
from sqlalchemy import select

from eventhub.auth.models import User
from eventhub.calendar import services as calendar_services
from eventhub.calendar.feeds import FeedKind
from eventhub.calendar.ics import calendar_bytes
from eventhub.calendar.links import feed_urls
from eventhub.events import images
from eventhub.events.models import Event
from eventhub.invitations.models import Invitation, InvitationBatch
from eventhub.mail import topics
from eventhub.mail.services import Attachment, OutgoingMail, shared_bytes
from eventhub.markdown import render_markdown
from eventhub.urls import external_url

topics.register("invitation", _l("Invitation"))


def _opt_out_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="invitation-opt-out")


def opt_out_token(email: str) -> str:
    return _opt_out_serializer().dumps(email)


def email_from_opt_out_token(token: str) -> str | None:
    try:
        email = _opt_out_serializer().loads(token)
    except BadSignature:
        return None
    return email if isinstance(email, str) else None


@dataclass(frozen=True)
class Voice:
    """What one sending says beyond the standard text: the organiser's note (Markdown) and
    who invites. Kept with the sending, so its resends and reminders say the same."""

    note: str | None = None
    inviters: tuple[str, ...] = ()

    @classmethod
    def of(cls, batch: InvitationBatch | None) -> "Voice":
        if batch is None:
            return cls()
        return cls(batch.note or None, tuple(batch.inviters or ()))


def names_in_words(names) -> str:
    """ "A, B y C" in the current language (Babel's list pattern)."""
    return format_list(list(names), locale=get_locale() or "es")


@dataclass(frozen=True)
class _Invitee:
    """What the invitation templates read of the invitation (they see nothing else)."""

    name: str | None
    language: str


class BatchCache:
    """What every invitation of one sending shares, computed once: the event's .ics, each
    organisation's feed address, and the email itself, rendered once per language with slots
    for the personal parts (sending to 350 organisations must only queue, fast)."""

    def __init__(self):
        self._calendars: dict[tuple[int, str], str] = {}
        self._agendas_loaded: set[int] = set()
        self._feeds: dict[int, dict | None] = {}
        self._layouts: dict[tuple, tuple[str, str, str]] = {}
        self._images: dict[int, Attachment | None] = {}
        # Unguessable per batch, so no event text or name can contain a slot.
        self._nonce = secrets.token_hex(8)

    def load_agenda(self, event) -> None:
        """The event's agenda with its speakers, which the email and the .ics list: two
        queries once, instead of two per agenda item as the templates walk it."""
        if event.id not in self._agendas_loaded:
            self._agendas_loaded.add(event.id)
            calendar_services.calendar_events(select(Event).where(Event.id == event.id))

    def calendar(self, event, language: str) -> str:
        key = (event.id, language)  # its description is in the invitee's language
        if key not in self._calendars:
            self.load_agenda(event)
            calendar = calendar_bytes([event], event.title, f"event/{event.uid}")
            self._calendars[key] = calendar.decode()
        return self._calendars[key]

    def image(self, event) -> Attachment | None:
        """The event's image as the email's inline part: read and encoded once per sending."""
        if event.id not in self._images:
            image = event.image
            # Kept once in the outbox (shared_bytes), not copied into every message.
            self._images[event.id] = image and Attachment(
                f"event.{image.content_type.split('/')[1]}",
                image.content_type,
                "",
                encoding="base64",
                content_id=image_content_id(image),
                blob=shared_bytes(images.image_bytes(image)),
            )
        return self._images[event.id]

    def prefetch_organisation_feeds(self, organisation_ids) -> None:
        wanted = {i for i in organisation_ids if i is not None} - self._feeds.keys()
        tokens = calendar_services.active_feed_tokens(FeedKind.ORGANISATION, wanted)
        for organisation_id in wanted:
            self._feeds[organisation_id] = feed_urls(tokens.get(organisation_id))

    def organisation_feed(self, organisation_id: int | None) -> dict | None:
        # The organisation's calendar, if organisers created one: subscribe once, see every
        # round table it is invited to.
        if organisation_id is None:
            return None
        if organisation_id not in self._feeds:
            token = calendar_services.active_feed_token(FeedKind.ORGANISATION, organisation_id)
            self._feeds[organisation_id] = feed_urls(token)
        return self._feeds[organisation_id]

    def slot(self, name: str) -> str:
        return f"\ue000{self._nonce}:{name}\ue001"

    def filled(self, invitation: Invitation, reminder: bool, personal: dict, voice: Voice) -> tuple:
        """(subject, text, html) rendered once per kind of email, then the personal parts
        put in their slots: escaped for HTML exactly as the template would have."""
        key = (
            invitation.event_id,
            invitation.language,
            reminder,
            bool(invitation.name),
            bool(personal["organisation_feed"]),
            voice,
        )
        if key not in self._layouts:
            self.load_agenda(invitation.event)
            feed = personal["organisation_feed"]
            slots = {
                "name": self.slot("name") if invitation.name else None,
                "link": self.slot("link"),
                "opt_out": self.slot("opt_out"),
                "organisation_feed": feed and {k: self.slot(k) for k in ("webcal", "https")},
            }
            self._layouts[key] = _render(
                invitation.event, invitation.language, reminder, slots, voice
            )
        subject, text, html = self._layouts[key]
        values = {
            "name": invitation.name or "",
            "link": personal["link"],
            "opt_out": personal["opt_out"],
            **(personal["organisation_feed"] or {}),
        }
        escaped = {name: str(escape(value)) for name, value in values.items()}
        pattern = re.compile(f"\ue000{self._nonce}:(\\w+)\ue001")
        return (
            subject,
            pattern.sub(lambda m: values[m.group(1)], text),
            pattern.sub(lambda m: escaped[m.group(1)], html),
        )


def image_content_id(image) -> str:
    """The Content-ID that the HTML's <img src="cid:…"> names: one per version of the image."""
    return f"event-image-{image.digest[:32]}@eventhub"


def _opening(inviters: tuple[str, ...], reminder: bool) -> str:
    """The line before the event: who invites, when the sending names anyone."""
    if not inviters:
        if reminder:
            return _(
                "A reminder: you are invited to the event below and we have not had your "
                "answer yet."
            )
        return _("You are invited to:")
    who = names_in_words(inviters)
    if reminder:
        return ngettext(
            "A reminder: %(inviters)s invites you to the event below and has not had your "
            "answer yet.",
            "A reminder: %(inviters)s invite you to the event below and have not had your "
            "answer yet.",
            len(inviters),
            inviters=who,
        )
    return ngettext(
        "%(inviters)s invites you to:", "%(inviters)s invite you to:", len(inviters), inviters=who
    )


def _header_image(event, inline: bool) -> dict | None:
    """The image at the top of the HTML: the email's own part, or (a preview in the browser)
    the page's address of it."""
    image = event.image
    if image is None:
        return None
    if inline:
        src = f"cid:{image_content_id(image)}"
    else:
        src = url_for("events.event_image", event_id=event.id, digest=image.digest)
    return {"src": src, "alt": image.alt}


def _render(
    event, language: str, reminder: bool, personal: dict, voice: Voice, inline: bool = True
) -> tuple[str, str, str]:
    with force_locale(language):
        context = {
            "note": voice.note,
            "note_html": render_markdown(voice.note),
            "opening": _opening(voice.inviters, reminder),
            "invitation": _Invitee(name=personal["name"], language=language),
            "event": event,
            "link": personal["link"],
            "opt_out": personal["opt_out"],
            "reminder": reminder,
            "organisation_feed": personal["organisation_feed"],
            "event_url": external_url("events.show_event", event_id=event.id),
            "header_image": _header_image(event, inline),
        }
        if reminder:
            subject = _("Reminder: %(title)s", title=event.title)
        else:
            subject = _("Invitation: %(title)s", title=event.title)
        text = render_template("emails/invitation.txt", **context)
        html = render_template("emails/invitation.html", **context)
    return subject, text, html


def build(
    invitation: Invitation,
    token: str,
    organiser: User | None,
    reminder: bool,
    cache: BatchCache | None = None,
    voice: Voice | None = None,
) -> OutgoingMail:
    """The email; with a batch's ``cache``, rendered once per language and filled in.
    ``voice``: the sending's note and inviters (by default, those of the invitation's)."""
    if voice is None:
        voice = Voice.of(invitation.batch)
    event = invitation.event
    shared = cache or BatchCache()
    personal = {
        "name": invitation.name,
        "link": external_url("invitations.respond", token=token),
        "opt_out": external_url("invitations.opt_out", token=opt_out_token(invitation.email)),
        "organisation_feed": shared.organisation_feed(invitation.organisation_id),
    }
    if cache is None:
        subject, text, html = _render(event, invitation.language, reminder, personal, voice)
    else:
        subject, text, html = cache.filled(invitation, reminder, personal, voice)
    calendar = shared.calendar(event, invitation.language)
    opt_out = personal["opt_out"]
    attachments = [Attachment("invitation.ics", "text/calendar; method=PUBLISH", calendar)]
    if image := shared.image(event):
        attachments.insert(0, image)
    return OutgoingMail(
        to_address=invitation.email,
        to_name=invitation.name,
        subject=subject,
        text_body=text,
        html_body=html,
        reply_to=organiser.email if organiser else None,
        attachments=attachments,
        headers={
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        topic="invitation",
        event_id=event.id,
    )


PREVIEW_TOKEN = "preview"  # noqa: S105 - stands for a personal link; opens "not valid"


@dataclass(frozen=True)
class Preview:
    language: str
    subject: str
    text: str
    html: str


def preview(event: Event, voice: Voice, language: str, name: str | None) -> Preview:
    """The invitation as ``name`` would read it in ``language``, before anything is queued:
    rendered only (no invitation, token or message is made); the personal links are shown as
    examples, since they exist only once the invitation does."""
    example = PREVIEW_TOKEN
    personal = {
        "name": name,
        "link": external_url("invitations.respond", token=example),
        "opt_out": external_url("invitations.opt_out", token=example),
        "organisation_feed": None,
    }
    return Preview(language, *_render(event, language, False, personal, voice, inline=False))
