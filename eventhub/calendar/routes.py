from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user, login_required
from sqlalchemy import Select, select

from eventhub import cache, personal
from eventhub.calendar import bp, ics, links, services
from eventhub.calendar.feeds import FeedKind
from eventhub.events import services as event_services
from eventhub.events.models import Event, EventKind
from eventhub.extensions import db
from eventhub.forms import optional_int
from eventhub.locale import select_locale
from eventhub.organisations.services import get_organisation
from eventhub.routing import commit_change
from eventhub.urls import external_url

ICS_TYPE = "text/calendar; charset=utf-8"
EVENT_KINDS = frozenset(kind.value for kind in EventKind)


def _not_modified(version: services.FeedVersion) -> bool:
    sent = request.headers.get("If-None-Match")
    if sent is not None:
        # A poller sends back the ETag it was given: compared as it stands, before parsing.
        # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
        return sent == version.etag_header or request.if_none_match.contains_weak(version.etag)
    since = request.if_modified_since  # a malformed date parses to None: ignored
    return bool(
        since and version.last_modified and version.last_modified.replace(microsecond=0) <= since
    )


def ics_response(
    query: Callable[[], Select],
    name: str | LazyString,
    identity: str,
    filename: str,
    detailed: bool = False,
):
    """The calendar, or 304 when the poller has it already (decided before building it).

    ``query`` builds the statement listing the events and ``name`` may be lazy: a poll
    answered from the version cache (see eventhub/cache.py) needs neither, nor Babel's
    locale object (the language's name is enough to tell the versions apart).
    """
    salt = (identity, str(detailed), select_locale())
    version = cache.remembered(
        ("version", *salt), lambda: services.feed_version(query(), *salt, str(name))
    )
    if _not_modified(version):
        response = Response(status=304)
    else:

        def build() -> bytes:
            events = services.calendar_events(query())
            return ics.calendar_bytes(events, str(name), identity, detailed=detailed)

        # The ETag digests what the calendar shows: same ETag, same bytes.
        body = cache.body((version.etag, *salt), build)
        response = Response(body, content_type=ICS_TYPE)
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["ETag"] = version.etag_header
    if version.last_modified_header:
        response.headers["Last-Modified"] = version.last_modified_header
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    event = db.session.get(Event, event_id)
    if event is None or not (current_user.is_authenticated or event.is_visible_to_public):
        abort(404)
    detailed = request.args.get("detailed") in {"1", "true", "yes"}
    suffix = "-agenda" if detailed else ""
    return ics_response(
        lambda: select(Event).where(Event.id == event.id),
        event.title,
        f"event/{event.uid}",
        f"event-{event.id}{suffix}.ics",
        detailed,
    )


def _public_filters() -> services.FeedFilters:
    kind = request.args.get("kind") or None
    return services.FeedFilters(
        programme_id=optional_int(request.args.get("programme")),
        kind=kind if kind in EVENT_KINDS else None,
    )


@bp.get("/calendar.ics")
def public_feed():
    filters = _public_filters()
    return ics_response(
        lambda: services.public_feed_query(filters),
        _l("EventHub: public events"),
        f"public/{filters.programme_id}/{filters.kind}",
        "eventhub.ics",
    )


@bp.get("/feeds/<token>.ics")
@personal.personal_feed
def private_feed(token: str):
    # Unknown tokens are not remembered: a new feed works at once in every process.
    target = cache.remembered(
        ("feed", token, select_locale()),
        lambda: services.feed_target(services.resolve_feed(token)),
    )
    return ics_response(
        lambda: services.target_query(target),
        target.name,
        f"feed/{target.feed_id}",
        "eventhub-feed.ics",
    )


@bp.post("/organisations/<int:organisation_id>/feed")
@login_required
def rotate_organisation_feed(organisation_id: int):
    organisation = get_organisation(organisation_id)
    had_one = services.active_feed_token(FeedKind.ORGANISATION, organisation.id) is not None
    commit_change(
        lambda: services.rotate_feed_token(FeedKind.ORGANISATION, organisation.id),
        audit=None,
        success=_("New calendar URL: the old one no longer works.")
        if had_one
        else _("Calendar URL created."),
    )
    return redirect(
        url_for(
            "organisations.show_organisation",
            organisation_id=organisation.id,
            _anchor="calendar-feed",
        )
    )


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
@personal.personal
def my_feed():
    if request.method == "POST":
        commit_change(
            lambda: services.rotate_feed_token(FeedKind.ORGANISER, current_user.id),
            audit=None,
            success=_("Your calendar URL is ready; any earlier one no longer works."),
        )
        return redirect(url_for("calendar.my_feed"))
    token = services.active_feed_token(FeedKind.ORGANISER, current_user.id)
    return render_template("calendar/my_feed.html", urls=links.feed_urls(token))


# --- month view -------------------------------------------------------------------------------


def _month_from_args(zone: ZoneInfo) -> date:
    try:
        chosen = datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        chosen = datetime.now(zone).date().replace(day=1)
    if not 1900 <= chosen.year <= 2999:
        abort(404)
    return chosen


@bp.get("/calendar")
@cache.for_each_reader
def month_view():
    zone_name = current_app.config["DEFAULT_EVENT_TIMEZONE"]
    zone = ZoneInfo(zone_name)
    first = _month_from_args(zone)
    filters = _public_filters()
    grid = services.month_grid(first, zone, filters, everything=current_user.is_authenticated)
    previous = (first - timedelta(days=1)).replace(day=1)
    feed_args = {
        k: v for k, v in (("programme", filters.programme_id), ("kind", filters.kind)) if v
    }
    feed = external_url("calendar.public_feed", **feed_args)
    return render_template(
        "calendar/month.html",
        first=first,
        weeks=grid.weeks,
        by_day=grid.by_day,
        today=datetime.now(zone).date(),
        previous=previous.strftime("%Y-%m"),
        following=grid.following.strftime("%Y-%m"),
        filters=filters,
        kinds=EventKind,
        programmes=event_services.all_programmes(),
        feed={"https": feed, "webcal": links.webcal(feed)},
    )


@bp.app_template_global()
def add_to_calendar_links(event: Event) -> dict:
    return {
        "google": links.google_calendar_url(event),
        "outlook": links.outlook_url(event),
    }
