from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from eventhub import activity, cache, personal
from eventhub.activity import Done
from eventhub.calendar import services as calendar_services
from eventhub.calendar.feeds import FeedKind
from eventhub.calendar.links import feed_urls
from eventhub.events import services as event_services
from eventhub.events.permissions import managed_event, require_manager
from eventhub.extensions import db, limiter
from eventhub.forms import confirm_page, options
from eventhub.listing import filter_args
from eventhub.loaders import token_link_or_404
from eventhub.organisations.services import organisation_choices
from eventhub.questions import reading as question_reading
from eventhub.questions import retention
from eventhub.questions import services as question_services
from eventhub.questions.services import AnswersRefusedError
from eventhub.registrations import (
    answering,
    answers,
    bp,
    exports,
    notices,  # noqa: F401  (names the notices' topics for the outbox pages from the start)
    qr,
    roster,
    services,
)
from eventhub.registrations import door as door_services
from eventhub.registrations.forms import RegistrantDetailsForm, RegistrationForm, WalkInForm
from eventhub.registrations.models import WALK_IN_LABEL, RegistrationStatus
from eventhub.routing import commit_change
from eventhub.urls import external_url


def fill_organisations(
    form: RegistrantDetailsForm | WalkInForm, choices: list | None = None
) -> None:
    """``choices`` when the caller already read the directory (the event page)."""
    choices = organisation_choices() if choices is None else choices
    form.organisation_id.choices = options([(None, _l("Not in the list / none")), *choices])


def _data(
    form: RegistrantDetailsForm,
    email: str,
    questions: list | None = None,
    answers: answering.AnswerSheet | None = None,
) -> services.RegistrantData:
    return services.RegistrantData(
        name=form.name.data,
        email=email,
        language=str(get_locale()),
        organisation_id=form.organisation_id.data,
        organisation_name=form.organisation_name.data,
        job_title=form.job_title.data,
        needs=form.needs.data,
        listed=form.listed.data,
        questions=questions or [],
        answers=answers,
    )


def _refused_answers(outcome, sheet) -> None:
    """A full choice found under the lock: its message goes beside its question."""
    if sheet is not None and isinstance(outcome.refusal, AnswersRefusedError):
        sheet.errors.update(outcome.refusal.errors)


def _address_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _event_limit() -> str:
    return current_app.config["REGISTRATION_EVENT_RATE_LIMIT"]


def _event_key() -> str:
    # Many addresses filling one event are throttled too.
    assert request.view_args is not None  # a key for a matched route
    return f"register-event:{request.view_args['event_id']}"


def _too_many_from_address() -> str:
    return _("Too many registrations from your connection. Please try again later.")


def _too_many_for_event() -> str:
    return _(
        "This event is receiving too many registrations right now. "
        "Please try again in a few minutes."
    )


@bp.post("/events/<int:event_id>/register")
@limiter.limit(_address_limit, error_message=_too_many_from_address)
@limiter.limit(_event_limit, key_func=_event_key, error_message=_too_many_for_event)
def register(event_id: int):
    event = event_services.get_event(event_id)
    if not event.is_visible_to_public:
        abort(404)
    form = RegistrationForm()
    fill_organisations(form)
    questions = answering.event_questions(event)
    sheet = answering.read(questions, request.form)
    # Every refusal at once: the details and the answers, before anything is written.
    details_valid = form.validate_on_submit()
    if details_valid and (sheet is None or sheet.valid):

        def register_and_link() -> tuple:
            registration, created = services.register_publicly(
                event, _data(form, form.email.data, questions, sheet)
            )
            return registration, created, services.registration_token(registration)

        outcome = commit_change(register_and_link, audit=None, success=None, form=form)
        _refused_answers(outcome, sheet)
        if not outcome.done:
            questions = answering.event_questions(event)  # the rollback expired them
        if outcome.done:
            assert outcome.result is not None
            registration, created, token = outcome.result
            if not created:
                flash(
                    _("This address is already registered: we sent its registration link to it."),
                    "info",
                )
                return redirect(url_for("events.show_event", event_id=event.id))
            if services.awaits_address(registration):
                # Never the personal page here: whoever typed the address has not shown it is
                # theirs. The link goes to the address only.
                flash(_confirm_first(registration), "info")
                return redirect(url_for("events.show_event", event_id=event.id))
            if registration.status == RegistrationStatus.WAITING:
                flash(_("The event is full: you are on the waiting list."), "warning")
            elif registration.status == RegistrationStatus.PENDING:
                flash(_("Registration received: the organisers will confirm it."), "info")
            else:
                flash(_("You are registered. We sent you a confirmation email."), "success")
            return redirect(url_for("registrations.manage", token=token))
    answers = answering.fields(event, questions, formdata=request.form, sheet=sheet)
    return render_template(
        "registrations/register.html", event=event, form=form, answers=answers
    ), 422


def _confirm_first(registration) -> str:
    values = {"email": registration.email, "minutes": services.hold_minutes()}
    if registration.status == RegistrationStatus.HELD:
        return _(
            "We keep a place for you for %(minutes)d minutes: follow the link we sent to "
            "%(email)s to confirm your address and take it.",
            **values,
        )
    return _(
        "Follow the link we sent to %(email)s within %(minutes)d minutes to confirm your "
        "address and complete your registration.",
        **values,
    )


def _registration_or_invalid(token: str):
    return token_link_or_404(services.find_by_token, token, lambda r: r.language)


@bp.get("/r/<token>")
@personal.personal
def manage(token: str):
    """The registrant's own page; a GET never changes anything (mail scanners follow links)."""
    registration = _registration_or_invalid(token)
    form = RegistrantDetailsForm(obj=registration)
    fill_organisations(form)
    return _manage_page(registration, form, token)


def _manage_page(registration, form, token, status=200, questions=None, sheet=None):
    event = registration.event
    if questions is None:
        questions = answering.event_questions(event)
    answers = answering.fields(
        event,
        questions,
        formdata=request.form if sheet is not None else None,
        sheet=sheet,
        registration=registration,
    )
    feed = calendar_services.active_feed_token(FeedKind.REGISTRANT, registration.email)
    qr_code = None
    if registration.status == RegistrationStatus.CONFIRMED and registration.checkin_hash:
        checkin_url = external_url(
            "registrations.checkin", code=services.checkin_code(registration)
        )
        qr_code = qr.svg(checkin_url, _("Check-in QR code"))
    return render_template(
        "registrations/manage.html",
        registration=registration,
        event=registration.event,
        form=form,
        token=token,
        feed_urls=feed_urls(feed),
        qr_code=qr_code,
        awaits_address=services.awaits_address(registration),
        answers=answers,
    ), status


@bp.post("/r/<token>/confirm")
def confirm(token: str):
    """The button on the personal page: the address is the registrant's (GET changes nothing)."""
    registration = _registration_or_invalid(token)
    outcome = commit_change(
        lambda: services.confirm_address(registration), audit=None, success=None
    )
    if not outcome.done:
        return redirect(url_for("registrations.manage", token=token))
    assert outcome.result is not None
    status = outcome.result
    messages: dict[str, tuple[str, str]] = {
        RegistrationStatus.CONFIRMED: (
            _("Your address is confirmed and the place is yours."),
            "success",
        ),
        RegistrationStatus.WAITING: (
            _("Your address is confirmed. The event is full: you are on the waiting list."),
            "warning",
        ),
        RegistrationStatus.PENDING: (
            _("Your address is confirmed. The organisers will confirm your registration."),
            "info",
        ),
    }
    message, category = messages.get(
        status, (_("This registration needs no confirmation."), "info")
    )
    flash(message, category)
    return redirect(url_for("registrations.manage", token=token))


@bp.post("/r/<token>/feed")
@personal.personal
def personal_feed(token: str):
    """A private calendar of every event this address registered for (a new one kills the old)."""
    registration = _registration_or_invalid(token)
    calendar_services.rotate_feed_token(FeedKind.REGISTRANT, registration.email)
    db.session.commit()
    flash(_("Your calendar address is ready; any earlier one no longer works."), "success")
    return redirect(url_for("registrations.manage", token=token, _anchor="my-calendar"))


@bp.post("/r/<token>")
@personal.personal
def update(token: str):
    registration = _registration_or_invalid(token)
    form = RegistrantDetailsForm()
    fill_organisations(form)
    questions = answering.event_questions(registration.event)
    # After the deadline the answers are shown, not sent: the details can still change.
    closed = services.answers_closed_reason(registration.event)
    sheet = None if closed else answering.read(questions, request.form)
    details_valid = form.validate_on_submit()
    if details_valid and (sheet is None or sheet.valid):
        outcome = commit_change(
            lambda: services.update_details(
                registration, _data(form, registration.email, questions, sheet)
            ),
            audit=None,
            success=_("Your details are saved."),
            form=form,
        )
        _refused_answers(outcome, sheet)
        if outcome.done:
            return redirect(url_for("registrations.manage", token=token))
        questions = answering.event_questions(registration.event)  # the rollback expired them
    return _manage_page(registration, form, token, 422, questions=questions, sheet=sheet)


@bp.get("/r/<token>/cancel")
@personal.personal
def confirm_cancel(token: str):
    """The "Free your place" link of the reminders: a question, the POST below answers it."""
    registration = _registration_or_invalid(token)
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
        return redirect(url_for("registrations.manage", token=token))
    return confirm_page(
        _("Cancel your registration for %(title)s?", title=registration.event.title),
        _("Yes, free my place"),
        url_for("registrations.manage", token=token),
        details=[_("Your place goes to the first person on the waiting list, if there is one.")],
    )


@bp.post("/r/<token>/cancel")
@personal.personal
def cancel(token: str):
    registration = _registration_or_invalid(token)
    services.cancel(registration)
    db.session.commit()
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("registrations.manage", token=token))


# --- organisers -------------------------------------------------------------------------------


@bp.get("/events/<int:event_id>/participants")
@login_required
@cache.for_each_reader
def participants(event_id: int):
    event = managed_event(event_id)
    language = str(get_locale())
    questions = question_reading.event_question_rows(event.id)
    options = answers.filter_options(questions, language)
    status = request.args.get("status")
    search = roster.Search(
        status=status if status in {s.value for s in RegistrationStatus} else None,
        q=request.args.get("q") or None,
        answer=answers.chosen_filter(options, request.args.get("answer")),
    )
    listed = roster.roster(event, search, "PARTICIPANTS_PER_PAGE")
    page_args = filter_args()
    has_sensitive = any(question.sensitive for question in questions)
    return render_template(
        "registrations/participants.html",
        event=event,
        page=listed.page,
        matching=listed.matching,
        counts=listed.counts,
        status=search.status,
        q=search.q or "",
        page_args=page_args,
        status_args={key: value for key, value in page_args.items() if key != "status"},
        by_organisation=roster.organisation_lines(services.counts_by_organisation(event)),
        statuses=RegistrationStatus,
        status_labels={status.value: str(status.label) for status in RegistrationStatus},
        walk_in_label=str(WALK_IN_LABEL),
        table=answers.answer_table(questions, [row.id for row in listed.page.items], language),
        filter_options=options,
        answer_filter=search.answer,
        answer_sent=search.answer.param if search.answer else None,
        has_sensitive=has_sensitive,
        retention=retention.retention(event, question_services.event_form(event.id), has_sensitive),
    )


def _export(event_id: int, respond: Callable):
    """A download. Posted with ``sensitive=1`` (a button: a GET must not write), the sensitive
    answers too, and the audit log says so, committed before the file is built: no file
    leaves unrecorded."""
    event = managed_event(event_id)
    sensitive = request.method == "POST" and request.form.get("sensitive") == "1"
    if sensitive:
        download = request.path.rsplit("/", 1)[-1]
        activity.log(
            "registration.export_sensitive",
            f"{download} with sensitive answers",
            event,
            {"subject": download},
        )
        db.session.commit()
    return respond(event, sensitive=sensitive)


@bp.route("/events/<int:event_id>/participants.csv", methods=["GET", "POST"])
@login_required
@cache.for_each_reader
def participants_csv(event_id: int):
    return _export(event_id, exports.participants_csv_response)


@bp.route("/events/<int:event_id>/participants.xlsx", methods=["GET", "POST"])
@login_required
@cache.for_each_reader
def participants_xlsx(event_id: int):
    return _export(event_id, exports.participants_xlsx_response)


def _who(registration) -> str:
    if registration.email is None:  # a walk-in who left no address
        return registration.name
    return f"{registration.name} <{registration.email}>"


def _participant(event_id: int, registration_id: int):
    event = managed_event(event_id)
    return event, services.get_registration(event, registration_id)


def _back_to_participants(event):
    return redirect(url_for("registrations.participants", event_id=event.id))


def _change_participant(
    event_id: int,
    registration_id: int,
    change: Callable,
    audit_action: str,
    success: str | Callable[[Any], str],
):
    """An organiser's button on one registration: ``change(registration)``, logged by name."""
    event, registration = _participant(event_id, registration_id)
    commit_change(
        lambda: change(registration),
        audit=Done(audit_action, _who(registration), event),
        success=success,
    )
    return _back_to_participants(event)


@bp.post("/events/<int:event_id>/participants/<int:registration_id>/promote")
@login_required
def promote(event_id: int, registration_id: int):
    return _change_participant(
        event_id,
        registration_id,
        services.promote_by_hand,
        "registration.promote",
        _("Moved from the waiting list."),
    )


@bp.post("/events/<int:event_id>/participants/<int:registration_id>/wait")
@login_required
def move_to_waiting(event_id: int, registration_id: int):
    return _change_participant(
        event_id,
        registration_id,
        services.move_to_waiting_list,
        "registration.wait",
        _("Moved to the waiting list."),
    )


@bp.route(
    "/events/<int:event_id>/participants/<int:registration_id>/remove", methods=["GET", "POST"]
)
@login_required
def remove(event_id: int, registration_id: int):
    event, registration = _participant(event_id, registration_id)
    if request.method == "GET":
        return confirm_page(
            _("Cancel the registration of %(name)s?", name=registration.name),
            _("Yes, cancel the registration"),
            url_for("registrations.participants", event_id=event.id),
            [
                _(
                    "%(email)s is told by email; the place goes to the waiting list.",
                    email=registration.email,
                ),
                _("You can restore it afterwards from the participants list."),
            ],
        )
    return _change_participant(
        event_id,
        registration_id,
        services.cancel,
        "registration.cancel",
        _("Registration cancelled."),
    )


@bp.post("/events/<int:event_id>/participants/<int:registration_id>/restore")
@login_required
def restore(event_id: int, registration_id: int):
    def message(status: str) -> str:
        if status == RegistrationStatus.CONFIRMED:
            return _("Registration restored: the place is confirmed.")
        return _("Registration restored to the waiting list: the event is full.")

    return _change_participant(
        event_id, registration_id, services.restore, "registration.restore", message
    )


@bp.post("/events/<int:event_id>/registration/toggle")
@login_required
def toggle_registration(event_id: int):
    event = managed_event(event_id)
    closing = not event.registration_closed
    state = "closed" if closing else "reopened"
    commit_change(
        lambda: services.set_registration_closed(event, closing),
        audit=Done("registration.toggle", state, event, {"value": ["registration", state]}),
        success=_("Registration closed.") if closing else _("Registration reopened."),
    )
    return _back_to_participants(event)


# --- at the door ------------------------------------------------------------------------------


def _registration_by_code(code: str):
    try:
        registration = services.find_by_checkin_code(code)
    except services.NotFoundError:
        abort(404, description=_("This check-in code is not valid."))
    require_manager(registration.event)
    return registration


@bp.get("/checkin/<code>")
@login_required
def checkin(code: str):
    """Where the QR code leads; scanning it changes nothing until the organiser confirms."""
    registration = _registration_by_code(code)
    arrived, confirmed = services.arrival_counts(registration.event)
    return render_template(
        "registrations/checkin_one.html",
        registration=registration,
        event=registration.event,
        code=code,
        arrived=arrived,
        confirmed=confirmed,
        at_door=_door_answers(registration.event, [registration.id]),
    )


def _door_answers(event, registration_ids: list[int]) -> answers.AnswerTable:
    """The answers marked "show at check-in" (interpretation, accessibility)."""
    questions = [q for q in question_reading.event_question_rows(event.id) if q.show_at_checkin]
    return answers.answer_table(questions, registration_ids, str(get_locale()))


def _door_action(registration, action, message: str) -> None:
    undo = action is services.undo_check_in
    commit_change(
        lambda: action(registration),
        audit=Done(
            "registration.undo_check_in" if undo else "registration.check_in",
            _who(registration),
            registration.event,
        ),
        success=message,
    )


@bp.post("/checkin/<code>")
@login_required
def checkin_confirm(code: str):
    registration = _registration_by_code(code)
    _door_action(
        registration, services.check_in, _("%(name)s has arrived.", name=registration.name)
    )
    return redirect(url_for("registrations.checkin", code=code))


@bp.post("/checkin/<code>/undo")
@login_required
def checkin_undo(code: str):
    registration = _registration_by_code(code)
    _door_action(registration, services.undo_check_in, _("Arrival undone."))
    return redirect(url_for("registrations.checkin", code=code))


def _door_page(event, form: WalkInForm, q: str | None, page: int, status: int = 200):
    found = door_services.door_page(event, q, page)
    arrived, confirmed = services.arrival_counts(event)
    # Every row's button posts to the same address but for its id: built once, not per row.
    check_in_action = url_for(
        "registrations.door_check_in", event_id=event.id, registration_id=0
    ).removesuffix("/0")
    return render_template(
        "registrations/door.html",
        event=event,
        found=found,
        q=q or "",
        arrived=arrived,
        confirmed=confirmed,
        at_door=_door_answers(event, [row.id for row in found.rows]),
        form=form,
        check_in_action=check_in_action,
    ), status


def _walk_in_form() -> WalkInForm:
    form = WalkInForm()
    fill_organisations(form)
    return form


@bp.get("/events/<int:event_id>/checkin")
@login_required
@cache.for_each_reader
def door(event_id: int):
    event = managed_event(event_id)
    page = request.args.get("page", 1, type=int)
    return _door_page(event, _walk_in_form(), request.args.get("q") or None, page)


def _walk_in_message(walk_in: door_services.WalkIn) -> str:
    registration = walk_in.registration
    if walk_in.was is None:
        return _("%(name)s was added as a walk-in and has arrived.", name=registration.name)
    if walk_in.was == RegistrationStatus.CONFIRMED:
        return _(
            "%(email)s is already registered, as %(name)s: that registration is checked in.",
            email=registration.email,
            name=registration.name,
        )
    return _(
        "%(email)s was registered as %(name)s (%(status)s): checked in now as a walk-in.",
        email=registration.email,
        name=registration.name,
        status=RegistrationStatus(walk_in.was).label,
    )


@bp.post("/events/<int:event_id>/checkin/walk-in")
@login_required
def walk_in(event_id: int):
    event = managed_event(event_id)
    form = _walk_in_form()
    if form.validate_on_submit():
        data = door_services.WalkInData(
            name=form.name.data,
            email=form.email.data,
            organisation_id=form.organisation_id.data,
            organisation_name=form.organisation_name.data,
            language=str(get_locale()),
        )
        outcome = commit_change(
            lambda: door_services.add_walk_in(event, data),
            audit=lambda added: Done(
                "registration.check_in"
                if added.was == RegistrationStatus.CONFIRMED
                else "registration.walk_in",
                _who(added.registration),
                event,
            ),
            success=_walk_in_message,
            form=form,
        )
        if outcome.done:
            assert outcome.result is not None
            # The list opens on the person just added, checked in.
            return redirect(
                url_for("registrations.door", event_id=event.id, q=outcome.result.registration.name)
            )
    return _door_page(event, form, None, 1, status=422)


@bp.post("/events/<int:event_id>/checkin/<int:registration_id>")
@login_required
def door_check_in(event_id: int, registration_id: int):
    event = managed_event(event_id)
    registration = services.get_registration(event, registration_id)
    undo = request.form.get("undo") == "1"
    _door_action(
        registration,
        services.undo_check_in if undo else services.check_in,
        _("Arrival undone.") if undo else _("%(name)s has arrived.", name=registration.name),
    )
    return redirect(
        url_for(
            "registrations.door",
            event_id=event.id,
            q=request.form.get("q") or None,
            page=request.form.get("page", type=int),
        )
    )


@bp.get("/events/<int:event_id>/participants/sheet")
@login_required
def sign_in_sheet(event_id: int):
    event = managed_event(event_id)
    rows = db.session.scalars(
        services.participants_query(event, RegistrationStatus.CONFIRMED.value, None)
    ).all()
    return render_template(
        "registrations/sheet.html",
        event=event,
        registrations=sorted(rows, key=lambda r: r.name.casefold()),
    )


@bp.post("/events/<int:event_id>/participants/<int:registration_id>/approve")
@login_required
def approve(event_id: int, registration_id: int):
    return _change_participant(
        event_id,
        registration_id,
        services.approve,
        "registration.approve",
        _("Registration approved."),
    )


@bp.post("/events/<int:event_id>/participants/<int:registration_id>/reject")
@login_required
def reject(event_id: int, registration_id: int):
    reason = request.form.get("reason")
    return _change_participant(
        event_id,
        registration_id,
        lambda registration: services.reject(registration, reason),
        "registration.reject",
        _("Registration not accepted; the person is told by email."),
    )
