"""Minutes and materials: organisers write and upload them on the follow-up page; the public,
participants and invitees read them on the pages their audience may see."""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from flask import abort, current_app, flash, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from eventhub import activity, personal
from eventhub.activity import Done
from eventhub.audit import display as audit_display
from eventhub.errors import DomainError
from eventhub.events import services as event_services
from eventhub.events.models import Event
from eventhub.events.permissions import managed_event
from eventhub.extensions import db
from eventhub.followup import bp
from eventhub.followup.minutes import services, storage
from eventhub.followup.minutes.forms import MaterialEditForm, MinutesForm, material_form
from eventhub.followup.models import Material, Visibility
from eventhub.followup.page import followup_page, to_followup
from eventhub.markdown import render_markdown
from eventhub.routing import commit_change, show_domain_error


@bp.url_value_preprocessor
def allow_large_uploads(endpoint, values):
    # Runs before the CSRF check reads the body, so the upload's own limit applies to it.
    if endpoint == "followup.upload_material":
        limit = current_app.config["UPLOAD_MAX_BYTES"] + 256 * 1024
        request.max_content_length = limit
        # The text fields are bounded by the form's validators (and the body by the limit):
        # a form-memory 413 raised after the file part was spooled would leave Werkzeug's
        # temporary file unclosed.
        request.max_form_memory_size = limit


audit_display.register_values("visibility", Visibility)


@bp.record_once
def check_file_storage(state):
    # A mistyped EVENTHUB_FILE_STORAGE stops the app at start, not the first upload.
    storage.storage_name(state.app.config.get("FILE_STORAGE"))


# --- what participants and the public see ------------------------------------------------------


@dataclass
class SharedFollowup:
    minutes_html: Markup | None
    minutes_updated_at: datetime | None
    materials: list[tuple[Material, str]]

    def __bool__(self) -> bool:
        return bool(self.minutes_html or self.materials)


bp.add_app_template_global(services.registrant_audience, "registrant_audience")


@bp.app_template_global("shared_followup")
def shared_followup(
    event: Event, audience: str, token: str | None = None, via: str | None = None
) -> SharedFollowup:
    """Minutes and files readable by this audience, with the address each file is served at."""
    readable = services.readable_followup(event, Visibility(audience))
    minutes = readable.minutes

    def url(material: Material) -> str:
        if token is None:
            return url_for("followup.event_material", event_id=event.id, material_id=material.id)
        if via == "invitation":
            return url_for("followup.invitee_material", token=token, material_id=material.id)
        return url_for("followup.registrant_material", token=token, material_id=material.id)

    return SharedFollowup(
        minutes_html=render_markdown(minutes.body) if minutes else None,
        minutes_updated_at=minutes.updated_at if minutes else None,
        materials=[(m, url(m)) for m in readable.materials],
    )


def _download_name(filename: str) -> dict[str, str]:
    """As send_file names a download: an ASCII fallback and the UTF-8 name (RFC 6266)."""
    if filename.isascii():
        return {"filename": filename}
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    return {"filename": fallback, "filename*": f"UTF-8''{quote(filename, safe='!#$&+-.^_`|~')}"}


def _send_material(material: Material):
    inline = material.content_type == "application/pdf" or material.content_type.startswith(
        "image/"
    )
    if material.storage == "database":
        if not storage.has_chunks(material):
            abort(404, description=_("The file is missing from storage."))
        # Streamed chunk by chunk after the view returns: never the whole file in memory.
        response = current_app.response_class(
            storage.stream_chunks(db.engine, material.id),
            mimetype=material.content_type,
            direct_passthrough=True,
        )
        response.content_length = material.size
        response.headers.set(
            "Content-Disposition",
            "inline" if inline else "attachment",
            **_download_name(material.filename),
        )
        response.set_etag(material.storage_key)
        response.make_conditional(request)
    else:
        path = storage.local_file(material)
        if path is None:
            abort(404, description=_("The file is missing from storage."))
        response = send_file(
            path,
            mimetype=material.content_type,
            as_attachment=not inline,
            download_name=material.filename,
            conditional=True,
            max_age=0,
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/events/<int:event_id>/materials/<int:material_id>")
def event_material(event_id: int, material_id: int):
    event = event_services.get_event(event_id)
    if current_user.is_authenticated:
        audience = Visibility.PRIVATE
    elif services.public_audience(event):
        audience = Visibility.PUBLIC
    else:
        abort(404)
    return _send_material(services.readable_material(event, material_id, audience))


@bp.get("/r/<token>/materials/<int:material_id>")
@personal.personal
def registrant_material(token: str, material_id: int):
    from eventhub.registrations.routes import _registration_or_invalid

    registration = _registration_or_invalid(token)
    audience = services.registrant_audience(registration)
    return _send_material(services.readable_material(registration.event, material_id, audience))


@bp.get("/i/<token>/materials/<int:material_id>")
@personal.personal
def invitee_material(token: str, material_id: int):
    from eventhub.invitations.routes import _invitation_or_invalid

    invitation = _invitation_or_invalid(token)
    material = services.readable_material(invitation.event, material_id, Visibility.PARTICIPANTS)
    return _send_material(material)


# --- what organisers write and upload ----------------------------------------------------------


@bp.post("/events/<int:event_id>/minutes")
@login_required
def save_minutes(event_id: int):
    event = managed_event(event_id)
    form = MinutesForm()
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.save_minutes(
                event, form.body.data, form.visibility.data, current_user
            ),
            audit=lambda minutes: Done(
                "minutes.save", f"{len(minutes.body)} characters, {minutes.visibility}", event
            ),
            success=_("Minutes saved."),
            form=form,
        ).done
    ):
        return to_followup(event, "minutes")
    return followup_page(event, 422, minutes_form=form)


@bp.post("/events/<int:event_id>/materials")
@login_required
def upload_material(event_id: int):
    event = managed_event(event_id)
    form = material_form(event)
    if form.validate_on_submit():
        # The spooled upload itself (on disk past 500 KB), not its bytes read into memory.
        upload = services.Upload(form.file.data.filename, form.file.data.stream)
        try:
            material = services.add_material(
                event,
                upload,
                form.title.data,
                form.visibility.data,
                form.agenda_item_id.data,
                current_user,
            )
        except DomainError as error:
            db.session.rollback()
            show_domain_error(form, error)
        else:
            # Not commit_change: a failed commit must also take the stored file away.
            activity.log("material.add", material.filename, event)
            try:
                db.session.commit()
            except Exception:
                storage.discard(material.storage, material.storage_key)
                raise
            flash(_("File uploaded: %(name)s", name=material.filename), "success")
            return to_followup(event, "materials")
    return followup_page(event, 422, material_form=form)


@bp.route("/events/<int:event_id>/materials/<int:material_id>/edit", methods=["GET", "POST"])
@login_required
def edit_material(event_id: int, material_id: int):
    event = managed_event(event_id)
    material = services.get_material(event, material_id)
    form = MaterialEditForm(obj=material)
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: services.update_material(material, form.title.data, form.visibility.data),
            audit=lambda material: Done(
                "material.edit",
                f"{material.title} ({material.visibility})",
                event,
                {"subject": material.title, "value": ["visibility", material.visibility]},
            ),
            success=_("File details saved."),
            form=form,
        ).done
    ):
        return to_followup(event, "materials")
    status = 422 if form.errors else 200
    return render_template(
        "followup/material_form.html", event=event, material=material, form=form
    ), status


@bp.post("/events/<int:event_id>/materials/<int:material_id>/delete")
@login_required
def delete_material(event_id: int, material_id: int):
    event = managed_event(event_id)
    material = services.get_material(event, material_id)
    outcome = commit_change(
        lambda: services.delete_material(material),
        audit=Done("material.delete", material.filename, event),
        success=_("File deleted."),
    )
    if outcome.done:
        assert outcome.result is not None
        storage.discard(*outcome.result)  # after the commit: a failed commit must not lose the file
    return to_followup(event, "materials")
