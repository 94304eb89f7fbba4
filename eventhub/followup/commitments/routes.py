"""Commitments: organisers record and follow them on the event's follow-up page; each owner
reports on its organisation's commitments through a personal link."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub import personal
from eventhub.activity import Done
from eventhub.audit import display as audit_display
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
from eventhub.followup.models import Commitment, CommitmentLink, CommitmentStatus
from eventhub.followup.page import followup_page, to_followup
from eventhub.loaders import token_link_or_404
from eventhub.organisations.models import Contact
from eventhub.organisations.services import get_organisation
from eventhub.routing import commit_change

audit_display.register_values("commitment_status", CommitmentStatus)


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
    if (
        form.validate_on_submit()
        and (
            outcome := commit_change(
                lambda: commitments.create_commitment(event, commitment_data(form), current_user),
                audit=lambda commitment: Done(
                    "commitment.add", _commitment_summary(commitment), event
                ),
                success=_("Commitment added."),
                form=form,
            )
        ).done
    ):
        assert outcome.result is not None
        _warn_if_past_due(event, outcome.result)
        return to_followup(event, "commitments")
    return followup_page(event, 422, commitment_form=form)


@bp.route("/events/<int:event_id>/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_commitment(event_id: int, commitment_id: int):
    event = managed_event(event_id)
    commitment = commitments.get_commitment(event, commitment_id)
    form = CommitmentForm(obj=commitment)
    fill_commitment_form(form, event)
    if (
        form.validate_on_submit()
        and commit_change(
            lambda: commitments.update_commitment(commitment, commitment_data(form)),
            audit=lambda saved: Done("commitment.edit", _commitment_summary(saved), event),
            success=_("Commitment saved."),
            form=form,
        ).done
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
        commit_change(
            lambda: commitments.change_status(
                commitment, form.status.data, form.note.data, user=current_user
            ),
            audit=lambda update: Done(
                "commitment.status",
                f"{commitment.organisation.name}: {update.status}",
                event,
                {
                    "subject": commitment.organisation.name,
                    "value": ["commitment_status", update.status],
                },
            ),
            success=_("Status updated."),
        )
    return to_followup(event, f"commitment-{commitment_id}")


@bp.post("/events/<int:event_id>/commitments/<int:commitment_id>/delete")
@login_required
def delete_commitment(event_id: int, commitment_id: int):
    event = managed_event(event_id)
    commitment = commitments.get_commitment(event, commitment_id)
    commit_change(
        lambda: commitments.delete_commitment(commitment),
        audit=Done("commitment.delete", _commitment_summary(commitment), event),
        success=_("Commitment deleted."),
    )
    return to_followup(event, "commitments")


# --- the owner's personal link -----------------------------------------------------------------


def _link_or_404(token: str) -> CommitmentLink:
    return token_link_or_404(commitments.find_link, token, lambda link: link.contact.language)


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
        outcome = commit_change(
            lambda: commitments.change_status(
                commitment, form.status.data, form.note.data, contact=link.contact
            ),
            audit=None,  # the owner's own report, not an organiser's action
            success=_("Thank you: the status is updated."),
        )
        if outcome.done:
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
    commit_change(
        lambda: commitments.revoke_link(contact),
        audit=Done("commitment_link.revoke", contact.name),
        success=_("The link is revoked; the next reminder carries a new one."),
    )
    return redirect(
        url_for(
            "organisations.show_organisation",
            organisation_id=organisation.id,
            _anchor="commitments",
        )
    )
