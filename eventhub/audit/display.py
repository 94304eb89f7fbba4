"""Reading the audit log: each entry told in the reader's language, at the event's time.

Entries keep what happened as data (``AuditEntry.details``): field names with raw old and new
values, counts, enum values. The words are chosen here when the page is shown, so a Spanish
reader sees "Lugar" and "Sí" where an English one sees "Venue" and "Yes", whoever made the
change. Field labels are the edit forms' own labels, choice values the forms' choice labels.
Domains above this one (follow-up, questions) add their value labels with ``register_values``
and their edit forms with ``register_form``.
"""

from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from eventhub.agenda.forms import AgendaItemForm
from eventhub.audit.models import AuditEntry
from eventhub.enums import LabelledEnum
from eventhub.events.forms import EventForm, ProgrammeForm
from eventhub.events.models import ParticipationRole, Programme
from eventhub.extensions import db
from eventhub.formatting import calendar_date
from eventhub.organisations.forms import ContactForm, OrganisationForm
from eventhub.organisations.models import Organisation
from eventhub.people.forms import SpeakerForm

VALUE_LENGTH = 80

FORMS: dict[str, type] = {
    "event": EventForm,
    "programme": ProgrammeForm,
    "agenda_item": AgendaItemForm,
    "organisation": OrganisationForm,
    "contact": ContactForm,
    "speaker": SpeakerForm,
}
# Fields holding another row's id: shown by that row's name.
NAMED_BY_ID: dict[str, type[Organisation] | type[Programme]] = {
    "host_organisation_id": Organisation,
    "organisation_id": Organisation,
    "programme_id": Programme,
}
# A value kind's labels: an enum's own, or a few words for values that are no enum.
VALUE_LABELS: dict[str, type[LabelledEnum] | dict] = {
    "participation_role": ParticipationRole,
    "registration": {"closed": _l("closed"), "reopened": _l("reopened")},
    "cancel": {"notified": _l("registrants told by email")},
}
# Counted things, with both forms for ngettext (extracted here, chosen per count).
COUNTS = {
    "invitations": lambda n: ngettext("%(num)d invitation", "%(num)d invitations", n),
    "messages": lambda n: ngettext("%(num)d message", "%(num)d messages", n),
    "recipients": lambda n: ngettext("%(num)d recipient", "%(num)d recipients", n),
    "agenda_items": lambda n: ngettext("%(num)d agenda item", "%(num)d agenda items", n),
    "sensitive_answers": lambda n: ngettext(
        "%(num)d sensitive answer", "%(num)d sensitive answers", n
    ),
    "participants": lambda n: ngettext("%(num)d participant", "%(num)d participants", n),
    "answers": lambda n: ngettext("%(num)d answer", "%(num)d answers", n),
    "questions": lambda n: ngettext("%(num)d question", "%(num)d questions", n),
}


def register_values(kind: str, labels: type[LabelledEnum] | dict) -> None:
    """Labels for the values of ``kind`` (a higher domain's enum), for ``{"value": …}``."""
    VALUE_LABELS[kind] = labels


def register_form(kind: str, form: type) -> None:
    """The edit form whose labels name the fields of ``kind``'s changes (a higher domain's)."""
    FORMS[kind] = form


def _value_label(kind: str, value: str) -> str:
    labels = VALUE_LABELS.get(kind, {})
    if isinstance(labels, dict):
        found = next((text for key, text in labels.items() if str(key) == value), None)
    else:
        found = next((member.label for member in labels if member.value == value), None)
    return str(found) if found is not None else value


def zone_of(entry: AuditEntry) -> str:
    if entry.event is not None:
        return entry.event.timezone
    return current_app.config["DEFAULT_EVENT_TIMEZONE"]


def when(value: datetime, zone: str) -> str:
    """A date and time in ``zone`` with its offset: "1 dic 2026, 10:00:00 (GMT-03:00)"."""
    locale = get_locale()
    tz = ZoneInfo(zone)
    shown = format_datetime(value, "medium", tzinfo=tz, locale=locale)
    return f"{shown} ({format_datetime(value, 'ZZZZ', tzinfo=tz, locale=locale)})"


def _field_label(kind: str, field: str) -> str:
    unbound = getattr(FORMS.get(kind), field, None)
    if isinstance(unbound, UnboundField):
        label = unbound.kwargs.get("label") or (unbound.args[0] if unbound.args else None)
        if label:
            return str(label)
    return field


def _choice_label(kind: str, field: str, value) -> str | None:
    unbound = getattr(FORMS.get(kind), field, None)
    choices = unbound.kwargs.get("choices") if isinstance(unbound, UnboundField) else None
    for choice in choices or ():
        choice_value, label = (
            (choice.value, choice.label) if hasattr(choice, "value") else (choice[0], choice[1])
        )
        if str(choice_value) == str(value):
            return str(label)
    return None


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text[:VALUE_LENGTH]}…”" if len(text) > VALUE_LENGTH else f"“{text}”"


def show_value(kind: str, field: str, value, zone: str) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):  # an instant or a day, as encode() wrote it
        if "at" in value:
            return when(datetime.fromisoformat(value["at"]), zone)
        if "day" in value:
            return calendar_date(date.fromisoformat(value["day"]))
    if field in NAMED_BY_ID and isinstance(value, int):
        # Session.get infers the common base of a union of models.
        row = cast(Organisation | Programme | None, db.session.get(NAMED_BY_ID[field], value))
        return row.name if row is not None else f"#{value}"
    label = _choice_label(kind, field, value)
    if label is not None:
        return label
    return _quoted(value) if isinstance(value, str) else str(value)


def describe(entry: AuditEntry) -> str:
    """The entry's details in the reader's language; entries from before details were kept
    show their stored summary."""
    details = entry.details
    if not details:
        return entry.summary
    zone = zone_of(entry)
    parts = []
    if details.get("subject"):
        parts.append(details["subject"])
    if "value" in details:
        value_kind, value = details["value"]
        parts.append(_value_label(value_kind, value))
    if "count" in details:
        noun, number = details["count"]
        parts.append(COUNTS[noun](number) if noun in COUNTS else str(number))
    if "changes" in details:
        kind = details.get("kind", "")
        changes = [
            f"{_field_label(kind, field)}: {show_value(kind, field, old, zone)} → "
            f"{show_value(kind, field, new, zone)}"
            for field, old, new in details["changes"]
        ]
        parts.append("; ".join(changes) or _("no change"))
    return ": ".join(parts)
