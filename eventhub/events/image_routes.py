"""The event's image: its managers upload, replace, describe and remove it on one page; the
image itself is served to whoever may read the event's page."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub.activity import Done
from eventhub.events import bp, images, permissions, services
from eventhub.events.forms import EventImageForm
from eventhub.events.models import Event
from eventhub.files import Upload
from eventhub.routing import commit_change

YEAR = 365 * 24 * 3600


def _image_page(event: Event, form: EventImageForm, status: int = 200):
    if request.method == "GET" and event.image is not None:
        form.alt_text.data = event.image.alt_text
    limit_mb = format(images.max_image_bytes() / 1_000_000, "g")
    return render_template("events/image.html", event=event, form=form, limit_mb=limit_mb), status


@bp.route("/events/<int:event_id>/image", methods=["GET", "POST"])
@login_required
def edit_image(event_id: int):
    event = permissions.managed_event(event_id)
    form = EventImageForm()
    if form.validate_on_submit():
        chosen = form.file.data
        # An empty file input arrives as a FileStorage without a name: "no new image".
        upload = Upload(chosen.filename, chosen.stream) if chosen and chosen.filename else None
        outcome = commit_change(
            lambda: images.save_image(event, upload, form.alt_text.data, current_user),
            audit=lambda image: Done(
                "event.image", f"{image.content_type}, {image.size} bytes", event
            ),
            success=_("Image saved."),
            form=form,
        )
        if outcome.done:
            return redirect(url_for("events.edit_image", event_id=event.id))
    return _image_page(event, form, 422 if form.errors else 200)


@bp.post("/events/<int:event_id>/image/delete")
@login_required
def delete_image(event_id: int):
    event = permissions.managed_event(event_id)
    commit_change(
        lambda: images.remove_image(event),
        audit=lambda removed: Done("event.image_remove", event=event) if removed else None,
        success=lambda removed: _("Image removed.") if removed else _("There is no image."),
    )
    return redirect(url_for("events.edit_image", event_id=event.id))


@bp.get("/events/<int:event_id>/image/<string(length=64):digest>")
def event_image(event_id: int, digest: str):
    """The image at this version. Its address names its content, so it never changes:
    browsers keep it a year without asking; a replaced image has a new address."""
    event = services.get_event(event_id)
    if not (current_user.is_authenticated or event.is_visible_to_public):
        abort(404)  # a draft's image, like its page, is not there for visitors
    image = images.image_with_bytes(event.id, digest)
    response = current_app.response_class(images.image_bytes(image), mimetype=image.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    scope = "public" if event.is_visible_to_public else "private"
    response.headers["Cache-Control"] = f"{scope}, max-age={YEAR}, immutable"
    response.set_etag(image.digest)
    return response.make_conditional(request)
