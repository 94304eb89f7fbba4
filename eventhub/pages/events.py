"""The event page and the programme page: the event with what the domains above it hold.

The event page shows the agenda and takes registrations; the programme page shows
attendance and follow-up. The routes join the events blueprint, so their URLs and endpoint
names (``events.show_event``, ``events.show_programme``) are the events domain's.
"""

from flask import abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventhub import cache
from eventhub.agenda import services as agenda_services
from eventhub.events import bp, permissions, services
from eventhub.events.forms import CoOrganiserForm, ParticipationForm
from eventhub.events.models import Event, EventOrganisation, RegistrationMode
from eventhub.extensions import db
from eventhub.followup.commitments.services import today_in
from eventhub.followup.programme.attendance import programme_attendance
from eventhub.followup.programme.figures import programme_figures
from eventhub.followup.programme.forms import programme_commitment_filters
from eventhub.followup.programme.services import programme_commitments
from eventhub.forms import options
from eventhub.organisations.services import organisation_choices
from eventhub.pages.figures import event_answer_figures, programme_answer_figures
from eventhub.pages.sections import section_counts
from eventhub.registrations import answering
from eventhub.registrations import services as registration_services
from eventhub.registrations.forms import RegistrationForm
from eventhub.registrations.routes import fill_organisations

bp.add_app_template_global(section_counts, "section_counts")


@bp.get("/events/<int:event_id>")
@cache.for_each_reader
def show_event(event_id: int):
    """A manager's view of the event (its summary and its sections' tabs) or, for everyone
    else and for a manager asking ``?view=public``, the page a visitor reads."""
    as_visitor = request.args.get("view") == "public"
    if current_user.is_authenticated and not as_visitor:
        event = db.session.scalar(events_summary_query(event_id))
        if event is None:
            abort(404)
        if permissions.can_manage(current_user, event):
            return _manager_page(event)
    return cache.anonymous_page(lambda: _event_page(event_id, as_visitor))


def events_summary_query(event_id: int):
    """The event with what its summary shows, and nothing of its agenda."""
    return (
        select(Event)
        .where(Event.id == event_id)
        .options(
            selectinload(Event.programme),
            selectinload(Event.host_organisation),
            selectinload(Event.participations).selectinload(EventOrganisation.organisation),
        )
    )


def _manager_page(event: Event) -> str:
    participation_form = ParticipationForm()
    participation_form.organisation_id.choices = options(organisation_choices())
    co_organiser_form = CoOrganiserForm()
    co_organiser_form.user_id.choices = options(
        [(None, _l("Choose…")), *permissions.co_organiser_candidates(event)]
    )
    return render_template(
        "events/manage.html",
        event=event,
        manages=True,
        section="summary",
        counts=section_counts(event.id),
        participation_form=participation_form,
        co_organiser_form=co_organiser_form,
        co_organisers=permissions.co_organisers(event),
        registration_closed=(
            registration_services.closed_reason(event)
            if event.registration_mode == RegistrationMode.OPEN
            else None
        ),
        answer_figures=event_answer_figures(event, True),
    )


@bp.get("/events/<int:event_id>/agenda/manage")
@login_required
@cache.for_each_reader
def manage_agenda(event_id: int):
    """The agenda tab: every item with its controls, read as plain rows."""
    event = permissions.managed_event(event_id)
    return render_template(
        "events/manage_agenda.html",
        event=event,
        section="agenda",
        days=agenda_services.agenda_rows(event.id, event.timezone),
    )


def _event_page(event_id: int, as_visitor: bool = False) -> str:
    """The page of the event as the public reads it; signed-in organisers who do not manage
    it also see its organisers (read only). ``as_visitor``: a signed-in organiser sees what a
    visitor sees (a draft too, marked as not yet visible)."""
    event = db.session.scalar(agenda_services.event_page_query(event_id))
    signed_in = current_user.is_authenticated and not as_visitor
    if event is None or not (current_user.is_authenticated or event.is_visible_to_public):
        abort(404)
    open_event = event.registration_mode == RegistrationMode.OPEN
    closed = registration_services.closed_reason(event) if open_event else None
    registration_form = registration_answers = None
    if open_event and closed is None:
        registration_form = RegistrationForm()
        fill_organisations(registration_form, organisation_choices())
        registration_answers = answering.fields(event, answering.event_questions(event))
    return render_template(
        "events/show.html",
        event=event,
        signed_in=signed_in,
        as_visitor=as_visitor and current_user.is_authenticated,
        co_organisers=permissions.co_organisers(event) if signed_in else [],
        registration_form=registration_form,
        registration_answers=registration_answers,
        listed_participants=registration_services.listed_participants(event),
        registration_closed=closed,
        free_places=registration_services.free_places(event) if registration_form else None,
        days=agenda_services.items_by_day(event),
        speakers=agenda_services.event_speakers(event),
        answer_figures=event_answer_figures(event, False),
    )


@bp.get("/programmes/<int:programme_id>")
@login_required
def show_programme(programme_id: int):
    programme = services.get_programme(programme_id)
    stmt = services.list_events_query(
        services.EventFilters(programme_id=programme.id),
        for_organiser=True,
        zone=current_app.config["DEFAULT_EVENT_TIMEZONE"],
    )
    events: list[Event] = list(db.session.scalars(stmt))
    filter_form, filters = programme_commitment_filters(programme.id, request.args)
    today = today_in(current_app.config["DEFAULT_EVENT_TIMEZONE"])
    return render_template(
        "events/programme.html",
        programme=programme,
        events=events,
        attendance=programme_attendance(programme),
        figures=programme_figures(programme, events, today),
        answer_figures=programme_answer_figures(events),
        filter_form=filter_form,
        commitments=programme_commitments(programme.id, filters, today),
        today=today,
    )
