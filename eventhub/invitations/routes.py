from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventhub import personal
from eventhub.audit import services as audit
from eventhub.errors import DomainError
from eventhub.events.permissions import managed_event
from eventhub.extensions import csrf, db
from eventhub.forms import commit_or_flash, optional_int
from eventhub.invitations import (
    bp,
    exports,
    notices,  # noqa: F401  (listens to the events' signals)
    services,
)
from eventhub.invitations.forms import AcceptForm, DeclineForm, InviteForm
from eventhub.invitations.mail import email_from_opt_out_token
from eventhub.invitations.models import InvitationResponse, InvitationState
from eventhub.organisations.models import Organisation, OrganisationKind
from eventhub.organisations.services import region_choices
from eventhub.registrations import services as registrations
from eventhub.registrations.models import RegistrationStatus


def _ids(name: str) -> list[int]:
    return [i for i in (optional_int(v) for v in request.form.getlist(name)) if i and i > 0]


@bp.route("/events/<int:event_id>/invitations/new", methods=["GET", "POST"])
@login_required
def invite(event_id: int):
    event = managed_event(event_id)
    form = InviteForm()
    kind = request.values.get("kind") or ""
    region = request.values.get("region") or ""
    chosen_orgs, chosen_contacts = set(_ids("organisation_ids")), set(_ids("contact_ids"))
    plan = None
    if form.validate_on_submit():
        try:
            plan = services.plan_invitations(
                event,
                sorted(chosen_orgs),
                form.whom.data == "all",
                sorted(chosen_contacts),
                form.extra.data or "",
                form.extra_language.data,
            )
            if form.send.data:
                batch = services.send_invitations(event, plan, current_user)
                audit.log(
                    "invitations.send",
                    audit.counted(len(plan.recipients), "invitation", "invitations"),
                    event=event,
                    details={"count": ["invitations", len(plan.recipients)]},
                )
                db.session.commit()
                flash(
                    ngettext(
                        "%(num)d invitation queued.",
                        "%(num)d invitations queued.",
                        len(plan.recipients),
                    ),
                    "success",
                )
                return redirect(
                    url_for("invitations.list_invitations", event_id=event.id, batch=batch.id)
                )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
    # The directory to choose from: only for the page, not for a sending that redirects.
    stmt = select(Organisation).options(selectinload(Organisation.contacts))
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if region:
        stmt = stmt.where(Organisation.region == region)
    organisations = db.session.scalars(stmt.order_by(Organisation.name)).all()
    return render_template(
        "invitations/invite.html",
        event=event,
        form=form,
        organisations=organisations,
        chosen_orgs=chosen_orgs,
        chosen_contacts=chosen_contacts,
        plan=plan,
        kind=kind,
        region=region,
        kinds=OrganisationKind,
        regions=region_choices(),
    )


@bp.get("/events/<int:event_id>/invitations")
@login_required
def list_invitations(event_id: int):
    event = managed_event(event_id)
    state = request.args.get("state") or None
    if InvitationState.get(state) is None:
        state = None
    sort = request.args.get("sort", "date")
    rows = services.invitation_table(event, state, sort)
    all_rows = services.event_invitations(event) if state else rows
    batch = services.get_batch(event, optional_int(request.args.get("batch")) or 0)
    progress = services.batch_progress(batch.id) if batch else None
    return render_template(
        "invitations/list.html",
        event=event,
        invitations=rows,
        counts=services.counts_by_organisation(all_rows),
        states=InvitationState,
        state=state,
        sort=sort,
        batch=batch,
        progress=progress,
        failed=sum(1 for i in all_rows if i.state == "failed"),
        unanswered=sum(1 for i in all_rows if i.state == "no_answer"),
    )


@bp.get("/events/<int:event_id>/invitations.csv")
@login_required
def invitations_csv(event_id: int):
    return exports.invitations_csv_response(managed_event(event_id))


@bp.get("/events/<int:event_id>/invitations.xlsx")
@login_required
def invitations_xlsx(event_id: int):
    return exports.invitations_xlsx_response(managed_event(event_id))


def _back(event_id: int):
    return redirect(url_for("invitations.list_invitations", event_id=event_id))


def _act(event_id: int, action, message, audit_action: str | None = None):
    """``message``: text, or a function of the count the action returns (for plural forms).
    ``audit_action``: log that count (else the action logs itself)."""
    event = managed_event(event_id)

    def act():
        result = action(event)
        if audit_action:
            audit.log(
                audit_action,
                audit.counted(result, "message", "messages"),
                event=event,
                details={"count": ["messages", result]},
            )
        return result

    commit_or_flash(act, message)
    return _back(event.id)


@bp.post("/events/<int:event_id>/invitations/resend-failed")
@login_required
def resend_failed(event_id: int):
    return _act(
        event_id,
        lambda event: services.resend_failed(event, current_user),
        lambda count: ngettext(
            "%(num)d failed invitation queued again.",
            "%(num)d failed invitations queued again.",
            count,
        ),
        "invitations.resend_failed",
    )


@bp.post("/events/<int:event_id>/invitations/remind")
@login_required
def remind(event_id: int):
    return _act(
        event_id,
        lambda event: services.remind_unanswered(event, current_user),
        lambda count: ngettext("%(num)d reminder queued.", "%(num)d reminders queued.", count),
        "invitations.remind",
    )


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/resend")
@login_required
def resend_one(event_id: int, invitation_id: int):
    def action(event):
        invitation = services.get_invitation(event, invitation_id)
        services.resend(invitation, current_user)
        audit.log("invitations.resend", invitation.email, event=event)

    return _act(event_id, action, _("Invitation queued again."))


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke(event_id: int, invitation_id: int):
    def action(event):
        invitation = services.get_invitation(event, invitation_id)
        services.revoke(invitation)
        audit.log("invitations.revoke", invitation.email, event=event)

    return _act(event_id, action, _("Invitation revoked: its link no longer works."))


# --- the invitee's side: no account, the link is the key --------------------------------------


def _invitation_or_invalid(token: str):
    try:
        invitation = services.find_by_token(token)
    except services.InvalidLinkError:
        abort(404, description=_("This link is not valid. Ask the organisers for a new one."))
    personal.follow_language(invitation.language)
    return invitation


def _answer(invitation, thanks: bool = False) -> str:
    """What the answer led to, in words: a place, a place on the waiting list, or approval to
    wait for; the invitee must not read "confirmed" when they are not."""
    registration = invitation.registration
    if invitation.response == InvitationResponse.CANCELLED:
        return _("Your registration is cancelled. You can accept again while registration is open.")
    if invitation.response == InvitationResponse.DECLINED:
        return _("You declined.")
    if invitation.response != InvitationResponse.ACCEPTED or registration is None:
        return _("You have not answered yet.")
    if registration.status == RegistrationStatus.WAITING:
        position = registrations.waiting_position(registration)
        if thanks:
            return _(
                "Thank you. The event is full: you are number %(position)d on the waiting list. "
                "If a place frees up, it is yours and we will email you.",
                position=position,
            )
        return _(
            "You accepted, but the event is full: you are number %(position)d on the waiting "
            "list. If a place frees up, it is yours and we will email you.",
            position=position,
        )
    if registration.status == RegistrationStatus.PENDING:
        if thanks:
            return _("Thank you: the organisers will confirm your place soon.")
        return _("You accepted: the organisers will confirm your place soon.")
    if thanks:
        return _("Thank you: your place is confirmed.")
    return _("You accepted: your place is confirmed.")


def _respond_page(invitation, accept_form=None, decline_form=None, status=200):
    accept_form = accept_form or AcceptForm(
        name=invitation.registration.name if invitation.registration else invitation.name
    )
    return render_template(
        "invitations/respond.html",
        invitation=invitation,
        event=invitation.event,
        answer=_answer(invitation),
        accept_form=accept_form,
        decline_form=decline_form or DeclineForm(),
    ), status


@bp.get("/i/<token>")
@personal.personal
def respond(token: str):
    """Shows the invitation; mail scanners follow links, so a GET never changes anything."""
    return _respond_page(_invitation_or_invalid(token))


@bp.post("/i/<token>/accept")
@personal.personal
def accept(token: str):
    invitation = _invitation_or_invalid(token)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            services.accept(invitation, form.name.data)
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
        else:
            db.session.commit()
            flash(_answer(invitation, thanks=True), "success")
            return redirect(url_for("invitations.respond", token=token))
    return _respond_page(invitation, accept_form=form, status=422)


@bp.post("/i/<token>/decline")
@personal.personal
def decline(token: str):
    invitation = _invitation_or_invalid(token)
    form = DeclineForm()
    if form.validate_on_submit():
        services.decline(invitation, form.reason.data)
        db.session.commit()
        flash(_("Your answer is recorded: you will not attend."), "success")
        return redirect(url_for("invitations.respond", token=token))
    return _respond_page(invitation, decline_form=form, status=422)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without our form; the token is the key
@personal.personal
def opt_out(token: str):
    email = email_from_opt_out_token(token)
    if email is None:
        abort(404, description=_("This link is not valid."))
    if request.method == "POST":
        services.opt_out(email)
        db.session.commit()
        return render_template("invitations/opted_out.html", email=email, done=True)
    return render_template("invitations/opted_out.html", email=email, token=token, done=False)
