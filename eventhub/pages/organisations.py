"""The organisation page: its contacts, the events it takes part in, its calendar feed and
its commitments."""

from flask import abort, current_app, render_template
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventhub.calendar import services as calendar_services
from eventhub.calendar.feeds import FeedKind
from eventhub.calendar.links import feed_urls
from eventhub.events.models import Event, EventOrganisation
from eventhub.extensions import db
from eventhub.followup.commitments import services as followup
from eventhub.organisations import bp, services
from eventhub.organisations.models import Organisation


def participations(organisation: Organisation) -> list[EventOrganisation]:
    """The events the organisation takes part in, latest first, with their role."""
    stmt = (
        select(EventOrganisation)
        .join(EventOrganisation.event)
        .where(EventOrganisation.organisation_id == organisation.id)
        .options(joinedload(EventOrganisation.event))
        .order_by(Event.starts_at.desc(), Event.id)
    )
    return list(db.session.scalars(stmt))


@bp.get("/organisations/<int:organisation_id>")
@login_required
def show_organisation(organisation_id: int):
    organisation = None
    if organisation_id <= services.MAX_ID:
        organisation = db.session.scalar(services.organisation_page_query(organisation_id))
    if organisation is None:
        abort(404)
    feed_token = calendar_services.active_feed_token(FeedKind.ORGANISATION, organisation.id)
    return render_template(
        "organisations/show.html",
        organisation=organisation,
        participations=participations(organisation),
        feed_urls=feed_urls(feed_token),
        commitments=followup.organisation_commitments(organisation),
        commitment_links=followup.active_links(organisation),
        today=followup.today_in(current_app.config["DEFAULT_EVENT_TIMEZONE"]),
    )
