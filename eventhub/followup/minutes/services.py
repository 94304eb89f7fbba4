"""Minutes and materials: who may read them, and the rules for writing them."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventhub.agenda.models import AgendaItem
from eventhub.auth.models import User
from eventhub.errors import DomainError, NotFoundError
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.files import FileKind, Upload, detect_kind, safe_filename
from eventhub.followup.minutes import storage
from eventhub.followup.models import Material, Minutes, Visibility
from eventhub.loaders import event_child
from eventhub.text import clean

MINUTES_MAX_CHARS = 100_000


def public_audience(event: Event) -> bool:
    """Whether the event's page is readable by anyone (and so its public follow-up)."""
    return event.status == EventStatus.PUBLISHED and event.is_public


def registrant_audience(registration) -> Visibility:
    """A confirmed place makes a participant; a cancelled, rejected or pending registration
    (or a waiting one) reads only what is public."""
    from eventhub.registrations.models import RegistrationStatus

    if registration.status == RegistrationStatus.CONFIRMED:
        return Visibility.PARTICIPANTS
    return Visibility.PUBLIC


# --- minutes -----------------------------------------------------------------------------------


def get_minutes(event: Event) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.event_id == event.id))


def readable_minutes(event: Event, audience: Visibility) -> Minutes | None:
    minutes = get_minutes(event)
    if minutes is None or not minutes.body.strip():
        return None
    return minutes if Visibility(minutes.visibility).allows(audience) else None


def _visibility(value: str) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise DomainError(_("Choose who can read it."), field="visibility") from None


def save_minutes(event: Event, body: str, visibility: str, editor: User) -> Minutes:
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MINUTES_MAX_CHARS:
        raise DomainError(
            _("The minutes are too long (at most %(max)d characters).", max=MINUTES_MAX_CHARS),
            field="body",
        )
    minutes = get_minutes(event) or Minutes(event=event)
    minutes.body = body
    minutes.visibility = _visibility(visibility).value
    minutes.updated_by = editor
    db.session.add(minutes)
    db.session.flush()
    return minutes


# --- materials ---------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return current_app.config["UPLOAD_MAX_BYTES"]


def check_upload(upload: Upload) -> FileKind:
    size = upload.size
    if not size:
        raise DomainError(_("The file is empty."), field="file")
    limit = max_upload_bytes()
    if size > limit:
        megabytes = format(limit / 1_000_000, "g")
        raise DomainError(
            _("The file is larger than %(size)s MB.", size=megabytes),
            field="file",
        )
    kind = detect_kind(upload.stream, upload.filename or "")
    if kind is None:
        raise DomainError(
            _(
                "This file is not an accepted type. Accepted: PDF, Word, Excel, PowerPoint, "
                "OpenDocument and images (PNG, JPEG, GIF, WebP). The type is read from the "
                "file's content, not its name."
            ),
            field="file",
        )
    return kind


def _agenda_item(event: Event, agenda_item_id: int | None) -> AgendaItem | None:
    if agenda_item_id is None:
        return None
    item = db.session.get(AgendaItem, agenda_item_id)
    if item is None or item.event_id != event.id:
        raise DomainError(_("Choose an item of this event's agenda."), field="agenda_item_id")
    return item


def add_material(
    event: Event,
    upload: Upload,
    title: str | None,
    visibility: str,
    agenda_item_id: int | None,
    uploader: User,
) -> Material:
    """Check everything first, store the bytes last: a refused file leaves nothing behind."""
    kind = check_upload(upload)
    item = _agenda_item(event, agenda_item_id)
    chosen = _visibility(visibility)
    filename = safe_filename(upload.filename, kind)
    title = clean(title) or filename.rsplit(".", 1)[0]
    material = Material(
        event=event,
        agenda_item=item,
        title=title[:200],
        filename=filename,
        content_type=kind.content_type,
        size=upload.size,
        visibility=chosen.value,
        uploaded_by=uploader,
        storage_key=storage.new_key(),
        storage=storage.configured_storage(),
    )
    db.session.add(material)
    db.session.flush()
    storage.write(material, upload.stream)
    return material


def get_material(event: Event, material_id: int) -> Material:
    return event_child(Material, material_id, event, _("No such file."))


def update_material(material: Material, title: str | None, visibility: str) -> Material:
    material.title = (clean(title) or material.title)[:200]
    material.visibility = _visibility(visibility).value
    db.session.flush()
    return material


def delete_material(material: Material) -> tuple[str, str]:
    """Remove the row (and chunks kept in the database); the caller passes the returned
    storage and key to ``storage.discard`` once the commit is done."""
    stored = (material.storage, material.storage_key)
    storage.remove(material)
    db.session.delete(material)
    db.session.flush()
    return stored


def event_materials(event: Event, audience: Visibility) -> list[Material]:
    materials = db.session.scalars(
        select(Material)
        .where(Material.event_id == event.id)
        .options(selectinload(Material.agenda_item))
        .order_by(Material.agenda_item_id.is_not(None), Material.id)
    )
    return [m for m in materials if Visibility(m.visibility).allows(audience)]


def readable_material(event: Event, material_id: int, audience: Visibility) -> Material:
    material = get_material(event, material_id)
    if not Visibility(material.visibility).allows(audience):
        raise NotFoundError(_("No such file."))
    return material


@dataclass
class ReadableFollowup:
    """What one audience may read of an event's follow-up: the minutes and the files."""

    minutes: Minutes | None
    materials: list[Material]


def readable_followup(event: Event, audience: Visibility) -> ReadableFollowup:
    return ReadableFollowup(readable_minutes(event, audience), event_materials(event, audience))
