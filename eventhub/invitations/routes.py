from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from eventhub import activity, cache, personal
from eventhub.activity import Done
from eventhub.events.permissions import managed_event
from eventhub.extensions import csrf, db
from eventhub.forms import optional_int
from eventhub.invitations import (
    bp,
    directory,
    exports,
    services,
)
from eventhub.invitations.forms import AcceptForm, DeclineForm, InviteForm
from eventhub.invitations.mail import Voice, email_from_opt_out_token, names_in_words
from eventhub.invitations.models import (
    Invitation,
    InvitationBatch,
    InvitationResponse,
    InvitationState,
)
from eventhub.loaders import token_link_or_404
from eventhub.organisations.models import OrganisationKind
from eventhub.organisations.services import region_choices
from eventhub.questions.services import AnswersRefusedError
from eventhub.registrations import answering
from eventhub.registrations import services as registrations
from eventhub.registrations.models import RegistrationStatus
from eventhub.routing import commit_change
from eventhub.text import clean


def _ids(name: str) -> list[int]:
    return [i for i in (optional_int(v) for v in request.form.getlist(name)) if i and i > 0]


@bp.route("/events/<int:event_id>/invitations/new", methods=["GET", "POST"])
@login_required
@cache.for_each_reader
def invite(event_id: int):
    event = managed_event(event_id)
    form = InviteForm()
    inviters = services.inviter_choices(event, current_user)
    form.inviters.choices = [(key, names_in_words(names)) for key, names in inviters.items()]
    kind = request.values.get("kind") or ""
    region = request.values.get("region") or ""
    chosen_orgs, chosen_contacts = set(_ids("organisation_ids")), set(_ids("contact_ids"))
    plan = None
    previews = None
    if form.validate_on_submit():
        voice = Voice(clean(form.note.data, one_line=False), tuple(inviters[form.inviters.data]))

        def plan_and_send() -> InvitationBatch | None:
            nonlocal plan  # shown again beside the refusal when sending is refused
            plan = services.plan_invitations(
                event,
                sorted(chosen_orgs),
                form.whom.data == "all",
                sorted(chosen_contacts),
                form.extra.data or "",
                form.extra_language.data,
            )
            if not form.send.data:
                return None
            return services.send_invitations(event, plan, current_user, voice)

        def planned() -> int:
            assert plan is not None  # planned before the audit entry and the message are made
            return len(plan.recipients)

        outcome = commit_change(
            plan_and_send,
            audit=lambda _batch: Done(
                "invitations.send",
                activity.counted(planned(), "invitation", "invitations"),
                event,
                {"count": ["invitations", planned()]},
            ),
            success=lambda _batch: ngettext(
                "%(num)d invitation queued.", "%(num)d invitations queued.", planned()
            ),
            keep=lambda batch: batch is not None,  # a preview, which writes nothing
        )
        if outcome.result is not None:
            return redirect(
                url_for("invitations.list_invitations", event_id=event.id, batch=outcome.result.id)
            )
        if plan is not None and outcome.refusal is None:
            previews = services.preview_mails(event, plan, voice)
    # The directory to choose from: only for the page, not for a sending that redirects.
    organisations = directory.directory(kind, region)
    return render_template(
        "invitations/invite.html",
        event=event,
        form=form,
        organisations=organisations,
        directory=directory.directory_html(
            organisations, chosen_orgs, chosen_contacts, directory.invited_emails(event.id)
        ),
        plan=plan,
        previews=previews,
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


def _resend_many(event_id: int, send: Callable, audit_action: str, message: Callable[[int], str]):
    """``send`` queues messages again and says how many; the count is what is logged."""
    event = managed_event(event_id)
    commit_change(
        lambda: send(event, current_user),
        audit=lambda count: Done(
            audit_action,
            activity.counted(count, "message", "messages"),
            event,
            {"count": ["messages", count]},
        ),
        success=message,
    )
    return _back(event.id)


@bp.post("/events/<int:event_id>/invitations/resend-failed")
@login_required
def resend_failed(event_id: int):
    return _resend_many(
        event_id,
        services.resend_failed,
        "invitations.resend_failed",
        lambda count: ngettext(
            "%(num)d failed invitation queued again.",
            "%(num)d failed invitations queued again.",
            count,
        ),
    )


@bp.post("/events/<int:event_id>/invitations/remind")
@login_required
def remind(event_id: int):
    return _resend_many(
        event_id,
        services.remind_unanswered,
        "invitations.remind",
        lambda count: ngettext("%(num)d reminder queued.", "%(num)d reminders queued.", count),
    )


def _change_invitation(
    event_id: int, invitation_id: int, change: Callable, audit_action: str, success: str
):
    """An organiser's button on one invitation: ``change(invitation)``, logged by address."""
    event = managed_event(event_id)

    def load_and_change() -> Invitation:
        invitation = services.get_invitation(event, invitation_id)
        change(invitation)
        return invitation

    commit_change(
        load_and_change,
        audit=lambda invitation: Done(audit_action, invitation.email, event),
        success=success,
    )
    return _back(event.id)


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/resend")
@login_required
def resend_one(event_id: int, invitation_id: int):
    return _change_invitation(
        event_id,
        invitation_id,
        lambda invitation: services.resend(invitation, current_user),
        "invitations.resend",
        _("Invitation queued again."),
    )


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke(event_id: int, invitation_id: int):
    return _change_invitation(
        event_id,
        invitation_id,
        services.revoke,
        "invitations.revoke",
        _("Invitation revoked: its link no longer works."),
    )


# --- the invitee's side: no account, the link is the key --------------------------------------


def _invitation_or_invalid(token: str):
    return token_link_or_404(services.find_by_token, token, lambda i: i.language)


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


def _respond_page(
    invitation, accept_form=None, decline_form=None, status=200, questions=None, sheet=None
):
    accept_form = accept_form or AcceptForm(
        name=invitation.registration.name if invitation.registration else invitation.name
    )
    answers = None
    if invitation.response != InvitationResponse.ACCEPTED and not invitation.event.is_cancelled:
        if questions is None:
            questions = answering.event_questions(invitation.event)
        answers = answering.fields(
            invitation.event,
            questions,
            formdata=request.form if sheet is not None else None,
            sheet=sheet,
        )
    return render_template(
        "invitations/respond.html",
        invitation=invitation,
        event=invitation.event,
        answer=_answer(invitation),
        accept_form=accept_form,
        decline_form=decline_form or DeclineForm(),
        answers=answers,
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
    questions = answering.event_questions(invitation.event)
    sheet = answering.read(questions, request.form)
    # The name and the answers are checked together, before anything is written.
    name_valid = form.validate_on_submit()
    if name_valid and (sheet is None or sheet.valid):
        outcome = commit_change(
            lambda: services.accept(invitation, form.name.data, questions, sheet),
            audit=None,
            success=lambda _result: _answer(invitation, thanks=True),
            field=form.name,
        )
        if outcome.done:
            return redirect(url_for("invitations.respond", token=token))
        if sheet is not None and isinstance(outcome.refusal, AnswersRefusedError):
            # A full choice: said beside its question, not beside the name.
            sheet.errors.update(outcome.refusal.errors)
            form.name.errors = [e for e in form.name.errors if e != outcome.refusal.message]
        questions = answering.event_questions(invitation.event)  # the rollback expired them
    return _respond_page(invitation, accept_form=form, status=422, questions=questions, sheet=sheet)


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
