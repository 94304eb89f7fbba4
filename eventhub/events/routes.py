from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from eventhub import activity, cache
from eventhub.activity import Done
from eventhub.events import (
    bp,
    image_routes,  # noqa: F401  (its routes join this blueprint)
    notifications,
    permissions,
    services,
)
from eventhub.events.forms import (
    CancelEventForm,
    CoOrganiserForm,
    EventFilterForm,
    EventForm,
    ParticipationForm,
    ProgrammeForm,
)
from eventhub.events.models import Event, EventKind, EventStatus, Programme
from eventhub.events.timezones import COMMON_ZONES, utc_to_local
from eventhub.extensions import db
from eventhub.forms import confirm_page, options
from eventhub.listing import filter_args, paginate_counted
from eventhub.organisations.services import organisation_choices
from eventhub.routing import commit_change


def _fill_choices(form: EventForm) -> None:
    none = [(None, _l("None"))]
    form.host_organisation_id.choices = options(none + organisation_choices())
    programmes = [(p.id, p.name) for p in services.all_programmes()]
    form.programme_id.choices = options(none + programmes)


# What an edit compares, for the audit log.
EVENT_FIELDS = (
    "title",
    "kind",
    "summary",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "venue_name",
    "venue_address",
    "host_organisation_id",
    "programme_id",
    "capacity",
    "registration_mode",
    "registration_deadline",
    "is_public",
    "requires_approval",
    "confirm_email",
)


def _event_data(form: EventForm) -> services.EventData:
    return services.EventData(
        title=form.title.data,
        kind=form.kind.data,
        timezone=form.timezone.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        summary=form.summary.data,
        description=form.description.data,
        venue_name=form.venue_name.data,
        venue_address=form.venue_address.data,
        host_organisation_id=form.host_organisation_id.data,
        programme_id=form.programme_id.data,
        capacity=form.capacity.data,
        registration_mode=form.registration_mode.data,
        registration_deadline=form.registration_deadline.data,
        is_public=form.is_public.data,
        requires_approval=form.requires_approval.data,
        confirm_email=form.confirm_email.data,
    )


@bp.get("/events/")
@cache.for_each_reader
def list_events():
    return cache.anonymous_page(_events_list_page)


def _events_list_page() -> str:
    # Signed in, the list is the same for every organiser: it is kept (cache.py) and only
    # the page around it (the organiser's name, their token) is rendered each time.
    listing = cache.organiser_fragment("events_list", _events_listing)
    return render_template("events/list.html", listing=Markup(listing))  # noqa: S704


def _events_listing() -> str:
    """The list under the heading: filters, the events of the page, the pages."""
    form = EventFilterForm(request.args)
    form.programme.choices = options([(None, _l("All programmes")), *services.programme_names()])
    form.validate()
    valid = lambda field: field.data if not field.errors else None  # noqa: E731
    filters = services.EventFilters(
        q=valid(form.q),
        kind=valid(form.kind) or None,
        status=valid(form.status) or None,
        programme_id=valid(form.programme),
        date_from=valid(form.date_from),
        date_to=valid(form.date_to),
    )
    for_organiser = current_user.is_authenticated
    zone = current_app.config["DEFAULT_EVENT_TIMEZONE"]
    page = paginate_counted(
        services.list_event_rows_query(filters, for_organiser, zone),
        services.count_events_query(filters, for_organiser, zone),
        "EVENTS_PER_PAGE",
    )
    # Each label translated once per page, not once per row.
    return render_template(
        "events/_list.html",
        page=page,
        form=form,
        args=filter_args(),
        kind_labels={kind.value: str(kind.label) for kind in EventKind},
        status_labels={status.value: str(status.label) for status in EventStatus},
    )


def _zone_defaults(form: EventForm) -> None:
    if not form.timezone.data:
        form.timezone.data = current_app.config["DEFAULT_EVENT_TIMEZONE"]


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def create_event():
    form = EventForm()
    _fill_choices(form)
    _zone_defaults(form)
    outcome = form.validate_on_submit() and commit_change(
        lambda: services.create_event(_event_data(form), current_user),
        audit=lambda event: Done("event.create", event.title, event),
        success=_("Event created as a draft. Publish it when it is ready."),
        form=form,
    )
    if outcome and outcome.done:
        assert outcome.result is not None
        return redirect(url_for("events.show_event", event_id=outcome.result.id))
    return render_template("events/form.html", form=form, event=None, zones=COMMON_ZONES)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event(event_id: int):
    event = permissions.managed_event(event_id)
    form = EventForm(obj=event)
    _fill_choices(form)
    if request.method == "GET":
        form.starts_at.data = utc_to_local(event.starts_at, event.timezone)
        form.ends_at.data = utc_to_local(event.ends_at, event.timezone)
        if event.registration_deadline:
            form.registration_deadline.data = utc_to_local(
                event.registration_deadline, event.timezone
            )
    decision = conflicts = None
    before = activity.snapshot(event, EVENT_FIELDS)
    if form.validate_on_submit():
        outcome = commit_change(
            lambda: services.update_event(
                event,
                _event_data(form),
                form.agenda_policy.data,
                notify_registrants=form.notify_registrants.data,
            ),
            audit=lambda _result: Done(
                "event.edit",
                activity.changes(before, event),
                event,
                activity.change_details(before, event, "event"),
            ),
            success=_("Event saved."),
            form=form,
        )
        if outcome.done:
            return redirect(url_for("events.show_event", event_id=event.id))
        if isinstance(outcome.refusal, services.AgendaDecisionNeededError):
            decision = outcome.refusal
        elif isinstance(outcome.refusal, services.AgendaConflictError):
            conflicts = outcome.refusal.items
    db.session.rollback()
    return render_template(
        "events/form.html",
        form=form,
        event=event,
        zones=COMMON_ZONES,
        decision=decision,
        conflicts=conflicts,
        registrants=notifications.people_to_tell(event),
    )


def _back_to_event(event: Event, anchor: str | None = None):
    return redirect(url_for("events.show_event", event_id=event.id, _anchor=anchor))


@bp.post("/events/<int:event_id>/publish")
@login_required
def publish_event(event_id: int):
    event = permissions.managed_event(event_id)
    commit_change(
        lambda: services.publish_event(event),
        audit=Done("event.publish", event=event),
        success=_("Event published."),
    )
    return _back_to_event(event)


@bp.post("/events/<int:event_id>/unpublish")
@login_required
def unpublish_event(event_id: int):
    event = permissions.managed_event(event_id)
    commit_change(
        lambda: services.unpublish_event(event),
        audit=Done("event.unpublish", event=event),
        success=_("Event unpublished: it is a draft again."),
    )
    return _back_to_event(event)


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_event(event_id: int):
    event = permissions.managed_event(event_id)
    form = CancelEventForm()
    if form.validate_on_submit():
        notify = form.notify_registrants.data
        if commit_change(
            lambda: services.cancel_event(
                event, notify_registrants=notify, reason=form.reason.data
            ),
            audit=Done(
                "event.cancel",
                "registrants told by email" if notify else "",
                event,
                {"value": ["cancel", "notified"]} if notify else None,
            ),
            success=_("Event cancelled."),
            form=form,
        ).done:
            return _back_to_event(event)
    elif not form.is_submitted():
        form.notify_registrants.data = True  # ticked when the page is shown
    return render_template(
        "events/cancel.html",
        event=event,
        form=form,
        registrants=notifications.people_to_tell(event),
    ), 422 if form.is_submitted() else 200


@bp.post("/events/<int:event_id>/organisations")
@login_required
def set_participation(event_id: int):
    event = permissions.managed_event(event_id)
    form = ParticipationForm()
    form.organisation_id.choices = options(organisation_choices())
    if form.validate_on_submit():
        commit_change(
            lambda: services.set_participation(event, form.organisation_id.data, form.role.data),
            audit=lambda participation: Done(
                "event.organisation",
                f"{participation.organisation.name}: {participation.role}",
                event,
                {
                    "subject": participation.organisation.name,
                    "value": ["participation_role", participation.role],
                },
            ),
            success=_("Participating organisations updated."),
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return _back_to_event(event, "organisations")


@bp.route(
    "/events/<int:event_id>/organisations/<int:participation_id>/delete", methods=["GET", "POST"]
)
@login_required
def remove_participation(event_id: int, participation_id: int):
    event = permissions.managed_event(event_id)
    name = services.get_participation(event, participation_id).organisation.name
    if request.method == "GET":
        return confirm_page(
            _("Remove %(name)s from “%(title)s”?", name=name, title=event.title),
            _("Yes, remove it"),
            url_for("events.show_event", event_id=event.id, _anchor="organisations"),
        )
    commit_change(
        lambda: services.remove_participation(event, participation_id),
        audit=Done("event.organisation_remove", name, event),
        success=_("Organisation removed from the event."),
    )
    return _back_to_event(event, "organisations")


@bp.post("/events/<int:event_id>/co-organisers")
@login_required
def add_co_organiser(event_id: int):
    event = permissions.managed_event(event_id)
    form = CoOrganiserForm()
    form.user_id.choices = options(permissions.co_organiser_candidates(event))
    if form.validate_on_submit():
        commit_change(
            lambda: permissions.add_co_organiser(event, form.user_id.data),
            audit=lambda user: Done("event.co_organiser_add", f"{user.name} <{user.email}>", event),
            success=lambda user: _("%(name)s is now a co-organiser of this event.", name=user.name),
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return _back_to_event(event, "co-organisers")


@bp.post("/events/<int:event_id>/co-organisers/<int:user_id>/delete")
@login_required
def remove_co_organiser(event_id: int, user_id: int):
    event = permissions.managed_event(event_id)
    commit_change(
        lambda: permissions.remove_co_organiser(event, user_id, current_user),
        audit=lambda user: Done("event.co_organiser_remove", f"{user.name} <{user.email}>", event),
        success=lambda user: _("%(name)s no longer manages this event.", name=user.name),
    )
    return _back_to_event(event, "co-organisers")


@bp.get("/programmes/")
@login_required
def list_programmes():
    return render_template("events/programmes.html", programmes=services.all_programmes())


@bp.route("/programmes/new", methods=["GET", "POST"])
@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@login_required
def edit_programme(programme_id: int | None = None):
    programme = services.get_programme(programme_id) if programme_id else None
    form = ProgrammeForm(obj=programme)
    before = activity.snapshot(programme, ("name", "description")) if programme else None

    def recorded(saved: Programme) -> Done:
        if before is None:
            return Done("programme.create", saved.name)
        return Done(
            "programme.edit",
            f"{saved.name}: {activity.changes(before, saved)}",
            details=activity.change_details(before, saved, "programme", saved.name),
        )

    outcome = form.validate_on_submit() and commit_change(
        lambda: services.save_programme(programme, form.name.data, form.description.data),
        audit=recorded,
        success=_("Programme saved."),
        form=form,
    )
    if outcome and outcome.done:
        assert outcome.result is not None
        return redirect(url_for("events.show_programme", programme_id=outcome.result.id))
    return render_template("events/programme_form.html", form=form, programme=programme)


# The "Duplicar" form has a module of its own; importing it adds its route to ``bp``.
from eventhub.events import clone_routes  # noqa: E402, F401
