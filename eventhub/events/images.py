"""An event's one image: the rules for uploading, replacing, describing and removing it.

The type is read from the bytes (``eventhub.files``, as for follow-up materials): JPEG, PNG
and WebP only. SVG is refused: it is a document that can carry scripts, and browsers run
them when the file is opened on its own. The bytes stay in the ``event_image`` row (the
image is small and every invitation email embeds it), addressed by their SHA-256, so the
served URL changes with the content and may be cached for ever.
"""

import hashlib

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from eventhub import files
from eventhub.auth.models import User
from eventhub.errors import DomainError, NotFoundError
from eventhub.events.models import Event, EventImage
from eventhub.events.services import lock_event
from eventhub.extensions import db
from eventhub.files import FileKind, Upload
from eventhub.orm import utcnow
from eventhub.text import clean

ACCEPTED = {kind.content_type: kind for kind in (files.JPEG, files.PNG, files.WEBP)}
ALT_TEXT_MAX = 300


def max_image_bytes() -> int:
    return current_app.config["EVENT_IMAGE_MAX_BYTES"]


def check_image(upload: Upload) -> FileKind:
    """The image's kind, or a DomainError on the file field saying what is wrong."""
    size = upload.size
    if not size:
        raise DomainError(_("The file is empty."), field="file")
    limit = max_image_bytes()
    if size > limit:
        raise DomainError(
            _(
                "The image is larger than %(size)s MB. Save it smaller (for example 1600 "
                "pixels wide) and upload it again.",
                size=format(limit / 1_000_000, "g"),
            ),
            field="file",
        )
    kind = files.detect_kind(upload.stream, upload.filename or "")
    if kind is None or kind.content_type not in ACCEPTED:
        raise DomainError(
            _(
                "This file is not an accepted image. Accepted: JPEG, PNG and WebP; the type "
                "is read from the file's content, not its name. SVG is not accepted, since it "
                "can carry scripts."
            ),
            field="file",
        )
    return kind


def _alt(alt_text: str | None) -> str | None:
    alt = clean(alt_text)
    if alt and len(alt) > ALT_TEXT_MAX:
        raise DomainError(
            _("The description is too long (at most %(max)d characters).", max=ALT_TEXT_MAX),
            field="alt_text",
        )
    return alt or None


def save_image(
    event: Event, upload: Upload | None, alt_text: str | None, uploader: User
) -> EventImage:
    """Upload or replace the image (``upload``), or only change its description (None).

    Everything is checked before anything changes: a refused file leaves the image as it was.
    """
    alt = _alt(alt_text)
    kind = None if upload is None else check_image(upload)
    # Two organisers uploading the first image at once: the second waits here, then
    # replaces the first one's image instead of adding a second.
    lock_event(event)
    image = db.session.scalar(select(EventImage).where(EventImage.event_id == event.id))
    if upload is None or kind is None:
        if image is None:
            raise DomainError(_("Choose an image."), field="file")
        image.alt_text = alt
        db.session.flush()
        return image
    stream = upload.stream
    stream.seek(0)
    data = stream.read()
    if image is None:
        image = EventImage(event=event)
        db.session.add(image)
    image.content_type = kind.content_type
    image.size = len(data)
    image.digest = hashlib.sha256(data).hexdigest()
    image.data = data
    image.alt_text = alt
    image.uploaded_at = utcnow()
    image.uploaded_by = uploader
    db.session.flush()
    return image


def remove_image(event: Event) -> bool:
    """Remove the image; False when there was none (a second click, another tab)."""
    image = event.image
    if image is None:
        return False
    db.session.delete(image)
    db.session.flush()
    event.image = None
    return True


def image_with_bytes(event_id: int, digest: str) -> EventImage:
    """The image at this version, its bytes loaded; 404 once it was replaced or removed."""
    image = db.session.scalar(
        select(EventImage)
        .where(EventImage.event_id == event_id, EventImage.digest == digest)
        .options(undefer(EventImage.data))
    )
    if image is None:
        raise NotFoundError(_("No such image."))
    return image


def image_bytes(image: EventImage) -> bytes:
    """The bytes of a loaded image row (one query the first time, for the invitation mail)."""
    return bytes(image.data)
