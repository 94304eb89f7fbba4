"""Commitments: organisers record and follow them on the event's follow-up page; each owner
reports on its organisation's commitments through a personal link."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub import personal
from eventhub.audit import display as audit_display
from eventhub.audit import services as audit
from eventhub.errors import DomainError
from eventhub.events.models import Event
from eventhub.events.permissions import managed_event
from eventhub.extensions import db
from eventhub.followup import bp
from eventhub.followup.commitments import services as commitments
from eventhub.followup.commitments.forms import (
    CommitmentForm,
    StatusForm,
    commitment_data,
    fill_commitment_form,
)
from eventhub.followup.models import COMMITMENT_STATUS_LABELS, Commitment, CommitmentLink
from eventhub.followup.page import followup_page, logged, to_followup
from eventhub.forms import commit_form, commit_or_flash
from eventhub.organisations.models import Contact
from eventhub.organisations.services import get_organisation

audit_display.register_values("commitment_status", COMMITMENT_STATUS_LABELS)


# --- on the organisers' follow-up page ---------------------------------------------------------


def _commitment_summary(commitment: Commitment) -> str:
    due = commitment.due_on.isoformat() if commitment.due_on else "—"
    return f"{commitment.organisation.name}: {commitment.description} ({due})"


def _warn_if_past_due(event: Event, commitment: Commitment) -> None:
    if commitments.is_past_due(event, commitment.due_on):
        flash(_("Note: the due date is already past."), "warning")


@bp.post("/events/<int:event_id>/commitments")
@login_required
def add_commitment(event_id: int):
    event = managed_event(event_id)
    form = CommitmentForm()
    fill_commitment_form(form, event)
    if form.validate_on_submit() and (
        commitment := commit_form(
            form,
            lambda: logged(
                commitments.create_commitment(event, commitment_data(form), current_user),
                "commitment.add",
                event,
                _commitment_summary,
            ),
            _("Commitment added."),
        )
    ):
        _warn_if_past_due(event, commitment)
        return to_followup(event, "commitments")
    return followup_page(event, 422, commitment_form=form)


@bp.route("/events/<int:event_id>/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_commitment(event_id: int, commitment_id: int):
    event = managed_event(event_id)
    commitment = commitments.get_commitment(event, commitment_id)
    form = CommitmentForm(obj=commitment)
    fill_commitment_form(form, event)
    if form.validate_on_submit() and commit_form(
        form,
        lambda: logged(
            commitments.update_commitment(commitment, commitment_data(form)),
            "commitment.edit",
            event,
            _commitment_summary,
        ),
        _("Commitment saved."),
    ):
        _warn_if_past_due(event, commitment)
        return to_followup(event, f"commitment-{commitment.id}")
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
            lambda: logged(
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
    return to_followup(event, f"commitment-{commitment_id}")


@bp.post("/events/<int:event_id>/commitments/<int:commitment_id>/delete")
@login_required
def delete_commitment(event_id: int, commitment_id: int):
    event = managed_event(event_id)
    commitment = commitments.get_commitment(event, commitment_id)
    audit.log("commitment.delete", _commitment_summary(commitment), event=event)
    commit_or_flash(lambda: commitments.delete_commitment(commitment), _("Commitment deleted."))
    return to_followup(event, "commitments")


# --- the owner's personal link -----------------------------------------------------------------


def _link_or_404(token: str) -> CommitmentLink:
    try:
        link = commitments.find_link(token)
    except DomainError:
        abort(404, description=_("This link is not valid. Ask the organisers for a new one."))
    personal.follow_language(link.contact.language)
    return link


def _owner_page(
    link: CommitmentLink, token: str, status: int = 200, form: StatusForm | None = None
):
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
