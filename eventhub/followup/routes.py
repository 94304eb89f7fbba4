import unicodedata
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from eventhub import personal
from eventhub.audit import display as audit_display
from eventhub.audit import services as audit
from eventhub.errors import DomainError
from eventhub.events import services as event_services
from eventhub.events.models import Event, EventOrganisation
from eventhub.events.permissions import managed_event
from eventhub.extensions import db
from eventhub.followup import bp, commitments, exports, services, storage
from eventhub.followup import mail as followup_mail
from eventhub.followup.forms import (
    CommitmentForm,
    FollowupMailForm,
    MaterialEditForm,
    MaterialForm,
    MinutesForm,
    StatusForm,
    programme_commitment_filters,
)
from eventhub.followup.models import (
    Commitment,
    CommitmentStatus,
    Material,
    Visibility,
)
from eventhub.followup.programme import programme_events_query, programme_figures
from eventhub.forms import commit_form, commit_or_flash, options, show_domain_error
from eventhub.invitations.models import Invitation
from eventhub.markdown import render_markdown
from eventhub.organisations.models import Contact, Organisation
from eventhub.organisations.services import get_organisation, organisation_choices


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


audit_display.register_values("commitment_status", CommitmentStatus)
audit_display.register_values("visibility", Visibility)


@bp.record_once
def check_file_storage(state):
    # A mistyped EVENTHUB_FILE_STORAGE stops the app at start, not the first upload.
    storage.storage_name(state.app.config.get("FILE_STORAGE"))


# --- what participants and the public see ------------------------------------------------------


@dataclass
class SharedFollowup:
    minutes_html: object
    minutes_updated_at: object
    materials: list[tuple[Material, str]]

    def __bool__(self) -> bool:
        return bool(self.minutes_html or self.materials)


bp.add_app_template_global(services.registrant_audience, "registrant_audience")


@bp.app_template_global("shared_followup")
def shared_followup(
    event: Event, audience: str, token: str | None = None, via: str | None = None
) -> SharedFollowup:
    """Minutes and files readable by this audience, with the address each file is served at."""
    visibility = Visibility(audience)
    minutes = services.readable_minutes(event, visibility)
    materials = services.event_materials(event, visibility)

    def url(material: Material) -> str:
        if token is None:
            return url_for("followup.event_material", event_id=event.id, material_id=material.id)
        if via == "invitation":
            return url_for("followup.invitee_material", token=token, material_id=material.id)
        return url_for("followup.registrant_material", token=token, material_id=material.id)

    return SharedFollowup(
        minutes_html=render_markdown(minutes.body) if minutes else None,
        minutes_updated_at=minutes.updated_at if minutes else None,
        materials=[(m, url(m)) for m in materials],
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


# --- the organisers' follow-up page ------------------------------------------------------------


def _contact_choices(event: Event) -> list[tuple[int | None, str]]:
    """Contacts of the organisations taking part or invited: the likely owners."""
    involved = select(EventOrganisation.organisation_id).where(
        EventOrganisation.event_id == event.id
    )
    invited = select(Invitation.organisation_id).where(
        Invitation.event_id == event.id, Invitation.organisation_id.is_not(None)
    )
    owners = select(Commitment.organisation_id).where(Commitment.event_id == event.id)
    stmt = (
        select(Contact.id, Contact.name, Organisation.name.label("organisation"))
        .join(Contact.organisation)
        .where(Contact.organisation_id.in_(involved.union(invited, owners)))
        .order_by(Organisation.name, Contact.name)
    )
    rows = db.session.execute(stmt)
    return [(None, _("(the organisation's main contact)"))] + [
        (row.id, f"{row.organisation} — {row.name}") for row in rows
    ]


def _fill_commitment_form(form: CommitmentForm, event: Event) -> None:
    form.organisation_id.choices = options(
        [(None, _("Choose an organisation")), *organisation_choices()]
    )
    form.contact_id.choices = options(_contact_choices(event))


def _material_form(event: Event) -> MaterialForm:
    form = MaterialForm()
    form.agenda_item_id.choices = options(
        [(None, _("The whole event"))] + [(item.id, item.title) for item in event.agenda_items]
    )
    return form


def _followup_page(event: Event, status: int = 200, **forms):
    minutes = services.get_minutes(event)
    forms.setdefault("minutes_form", MinutesForm(obj=minutes))
    forms.setdefault("material_form", _material_form(event))
    if "commitment_form" not in forms:
        forms["commitment_form"] = CommitmentForm()
        _fill_commitment_form(forms["commitment_form"], event)
    return render_template(
        "followup/event.html",
        event=event,
        minutes=minutes,
        minutes_html=render_markdown(minutes.body) if minutes else None,
        materials=services.event_materials(event, Visibility.PRIVATE),
        commitments=commitments.event_commitments(event),
        status_form=StatusForm(),
        today=commitments.today_in(event.timezone),
        mailings=followup_mail.mailings(event),
        **forms,
    ), status


def _logged(result, action: str, event: Event, summary, details=None):
    """Record the organiser's action in the audit log, in the same transaction."""
    audit.log(action, summary(result), event=event, details=details(result) if details else None)
    return result


def _commitment_summary(commitment: Commitment) -> str:
    due = commitment.due_on.isoformat() if commitment.due_on else "—"
    return f"{commitment.organisation.name}: {commitment.description} ({due})"


def _to_followup(event: Event, anchor: str):
    return redirect(url_for("followup.event_followup", event_id=event.id, _anchor=anchor))


@bp.get("/events/<int:event_id>/followup")
@login_required
def event_followup(event_id: int):
    return _followup_page(managed_event(event_id))


@bp.post("/events/<int:event_id>/minutes")
@login_required
def save_minutes(event_id: int):
    event = managed_event(event_id)
    form = MinutesForm()
    if form.validate_on_submit() and commit_form(
        form,
        lambda: _logged(
            services.save_minutes(event, form.body.data, form.visibility.data, current_user),
            "minutes.save",
            event,
            lambda minutes: f"{len(minutes.body)} characters, {minutes.visibility}",
        ),
        _("Minutes saved."),
    ):
        return _to_followup(event, "minutes")
    return _followup_page(event, 422, minutes_form=form)


@bp.post("/events/<int:event_id>/materials")
@login_required
def upload_material(event_id: int):
    event = managed_event(event_id)
    form = _material_form(event)
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
            audit.log("material.add", material.filename, event=event)
            try:
                db.session.commit()
            except Exception:
                storage.discard(material.storage, material.storage_key)
                raise
            flash(_("File uploaded: %(name)s", name=material.filename), "success")
            return _to_followup(event, "materials")
    return _followup_page(event, 422, material_form=form)


@bp.route("/events/<int:event_id>/materials/<int:material_id>/edit", methods=["GET", "POST"])
@login_required
def edit_material(event_id: int, material_id: int):
    event = managed_event(event_id)
    material = services.get_material(event, material_id)
    form = MaterialEditForm(obj=material)
    if form.validate_on_submit() and commit_form(
        form,
        lambda: _logged(
            services.update_material(material, form.title.data, form.visibility.data),
            "material.edit",
            event,
            lambda material: f"{material.title} ({material.visibility})",
            lambda material: {
                "subject": material.title,
                "value": ["visibility", material.visibility],
            },
        ),
        _("File details saved."),
    ):
        return _to_followup(event, "materials")
    status = 422 if form.errors else 200
    return render_template(
        "followup/material_form.html", event=event, material=material, form=form
    ), status


@bp.post("/events/<int:event_id>/materials/<int:material_id>/delete")
@login_required
def delete_material(event_id: int, material_id: int):
    event = managed_event(event_id)
    material = services.get_material(event, material_id)
    audit.log("material.delete", material.filename, event=event)
    stored = services.delete_material(material)
    db.session.commit()
    storage.discard(*stored)  # after the commit: a failed commit must not lose the file
    flash(_("File deleted."), "success")
    return _to_followup(event, "materials")


def _commitment_data(form: CommitmentForm) -> commitments.CommitmentData:
    return commitments.CommitmentData(
        description=form.description.data,
        organisation_id=form.organisation_id.data,
        contact_id=form.contact_id.data,
        due_on=form.due_on.data,
    )


def _warn_if_past_due(event: Event, commitment: Commitment) -> None:
    if commitments.is_past_due(event, commitment.due_on):
        flash(_("Note: the due date is already past."), "warning")


@bp.post("/events/<int:event_id>/commitments")
@login_required
def add_commitment(event_id: int):
    event = managed_event(event_id)
    form = CommitmentForm()
    _fill_commitment_form(form, event)
    if form.validate_on_submit() and (
        commitment := commit_form(
            form,
            lambda: _logged(
                commitments.create_commitment(event, _commitment_data(form), current_user),
                "commitment.add",
                event,
                _commitment_summary,
            ),
            _("Commitment added."),
        )
    ):
        _warn_if_past_due(event, commitment)
        return _to_followup(event, "commitments")
    return _followup_page(event, 422, commitment_form=form)


@bp.route("/events/<int:event_id>/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_commitment(event_id: int, commitment_id: int):
    event = managed_event(event_id)
    commitment = commitments.get_commitment(event, commitment_id)
    form = CommitmentForm(obj=commitment)
    _fill_commitment_form(form, event)
    if form.validate_on_submit() and commit_form(
        form,
        lambda: _logged(
            commitments.update_commitment(commitment, _commitment_data(form)),
            "commitment.edit",
            event,
            _commitment_summary,
        ),
        _("Commitment saved."),
    ):
        _warn_if_past_due(event, commitment)
        return _to_followup(event, f"commitment-{commitment.id}")
    status = 422 if form.errors else 200
    return render_template(
        "followup/commitment_form.html", event=event, commitment=commitment, form=form
    ), status


@bp.post("/events/<int:event_id>/commitments/<int:commitment_id>/status")
@login_required
def change_commitment_status(event_id: int, commitment_id: int):
    event = managed_event(event_id)
    commitment = commitments.get_commitment(event, commitment_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Choose a status."), "error")
    else:
        commit_or_flash(
            lambda: _logged(
                commitments.change_status(
                    commitment, form.status.data, form.note.data, user=current_user
                ),
                "commitment.status",
                event,
                lambda update: f"{commitment.organisation.name}: {update.status}",
                lambda update: {
                    "subject": commitment.organisation.name,
                    "value": ["commitment_status", update.status],
                },
            ),
            _("Status updated."),
        )
    return _to_followup(event, f"commitment-{commitment_id}")


@bp.post("/events/<int:event_id>/commitments/<int:commitment_id>/delete")
@login_required
def delete_commitment(event_id: int, commitment_id: int):
    event = managed_event(event_id)
    commitment = commitments.get_commitment(event, commitment_id)
    audit.log("commitment.delete", _commitment_summary(commitment), event=event)
    commit_or_flash(lambda: commitments.delete_commitment(commitment), _("Commitment deleted."))
    return _to_followup(event, "commitments")


@bp.route("/events/<int:event_id>/followup/mail", methods=["GET", "POST"])
@login_required
def followup_mail_page(event_id: int):
    event = managed_event(event_id)
    form = FollowupMailForm()
    audience = followup_mail.audience(event)
    preview, refused = None, False
    if form.validate_on_submit():
        if form.send.data:
            mailing = commit_form(
                form,
                lambda: _logged(
                    followup_mail.send_followup(
                        event, form.summary.data, form.include_absent.data, current_user
                    ),
                    "followup.send",
                    event,
                    lambda mailing: audit.counted(mailing.recipients, "recipient", "recipients"),
                    lambda mailing: {"count": ["recipients", mailing.recipients]},
                ),
                lambda mailing: ngettext(
                    "Follow-up queued for %(num)d person. It is sent from the outbox.",
                    "Follow-up queued for %(num)d people. It is sent from the outbox.",
                    mailing.recipients,
                ),
            )
            if mailing:
                return _to_followup(event, "followup-mail")
            refused = True
        recipients = audience.chosen(form.include_absent.data)
        if recipients:
            preview = followup_mail.render(event, recipients[0], form.summary.data, preview=True)
    status = 422 if form.errors or refused else 200
    return render_template(
        "followup/mail.html", event=event, form=form, audience=audience, preview=preview
    ), status


# --- the owner's personal link -----------------------------------------------------------------


def _link_or_404(token: str):
    try:
        link = commitments.find_link(token)
    except DomainError:
        abort(404, description=_("This link is not valid. Ask the organisers for a new one."))
    personal.follow_language(link.contact.language)
    return link


def _owner_page(link, token: str, status: int = 200, form: StatusForm | None = None):
    organisation = link.contact.organisation
    return render_template(
        "followup/owner.html",
        link=link,
        token=token,
        organisation=organisation,
        commitments=commitments.organisation_commitments(organisation),
        form=form or StatusForm(),
        today=commitments.today_in(current_app.config["DEFAULT_EVENT_TIMEZONE"]),
    ), status


@bp.get("/c/<token>")
@personal.personal
def owner_commitments(token: str):
    """A GET only shows: mail scanners follow links."""
    return _owner_page(_link_or_404(token), token)


@bp.post("/c/<token>/commitments/<int:commitment_id>")
@personal.personal
def owner_update(token: str, commitment_id: int):
    link = _link_or_404(token)
    commitment = commitments.commitment_for_link(link, commitment_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            commitments.change_status(
                commitment, form.status.data, form.note.data, contact=link.contact
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Thank you: the status is updated."), "success")
            return redirect(
                url_for("followup.owner_commitments", token=token, _anchor=f"c{commitment.id}")
            )
    return _owner_page(link, token, 422, form)


@bp.post("/organisations/<int:organisation_id>/contacts/<int:contact_id>/commitment-link/revoke")
@login_required
def revoke_owner_link(organisation_id: int, contact_id: int):
    organisation = get_organisation(organisation_id)
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.organisation_id != organisation.id:
        abort(404)
    audit.log("commitment_link.revoke", contact.name)
    commit_or_flash(
        lambda: commitments.revoke_link(contact),
        _("The link is revoked; the next reminder carries a new one."),
    )
    return redirect(
        url_for(
            "organisations.show_organisation",
            organisation_id=organisation.id,
            _anchor="commitments",
        )
    )


# --- the programme view ------------------------------------------------------------------------


def _programme_today() -> date:
    return commitments.today_in(current_app.config["DEFAULT_EVENT_TIMEZONE"])


@bp.get("/programmes/<int:programme_id>/commitments.csv")
@bp.get("/programmes/<int:programme_id>/commitments.xlsx", endpoint="programme_commitments_xlsx")
@login_required
def programme_commitments_csv(programme_id: int):
    programme = event_services.get_programme(programme_id)
    _form, filters = programme_commitment_filters(programme.id, request.args)
    today = _programme_today()
    return exports.commitments_response(
        f"programme-{programme.id}-commitments",
        commitments.programme_commitments(programme.id, filters, today),
        today,
        xlsx=request.path.endswith(".xlsx"),
    )


@bp.get("/programmes/<int:programme_id>/figures.csv")
@bp.get("/programmes/<int:programme_id>/figures.xlsx", endpoint="programme_figures_xlsx")
@login_required
def programme_figures_csv(programme_id: int):
    programme = event_services.get_programme(programme_id)
    events = list(db.session.scalars(programme_events_query(programme.id)))
    figures = programme_figures(programme, events, _programme_today())
    return exports.figures_response(
        f"programme-{programme.id}-figures", figures, xlsx=request.path.endswith(".xlsx")
    )
