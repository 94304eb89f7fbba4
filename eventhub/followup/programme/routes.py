"""A programme's commitments and figures as CSV or XLSX downloads (the programme page itself
is composed with the events)."""

from datetime import date

from flask import current_app, request
from flask_babel import get_locale
from flask_login import login_required

from eventhub.events import services as event_services
from eventhub.events.permissions import managed_event
from eventhub.followup import bp
from eventhub.followup.commitments.services import today_in
from eventhub.followup.programme import answers, exports
from eventhub.followup.programme.figures import programme_figures
from eventhub.followup.programme.forms import programme_commitment_filters
from eventhub.followup.programme.services import programme_commitments, programme_events


def _programme_today() -> date:
    return today_in(current_app.config["DEFAULT_EVENT_TIMEZONE"])


@bp.get("/programmes/<int:programme_id>/commitments.csv")
@bp.get("/programmes/<int:programme_id>/commitments.xlsx", endpoint="programme_commitments_xlsx")
@login_required
def programme_commitments_csv(programme_id: int):
    programme = event_services.get_programme(programme_id)
    _form, filters = programme_commitment_filters(programme.id, request.args)
    today = _programme_today()
    return exports.commitments_response(
        f"programme-{programme.id}-commitments",
        programme_commitments(programme.id, filters, today),
        today,
        xlsx=request.path.endswith(".xlsx"),
    )


@bp.get("/programmes/<int:programme_id>/figures.csv")
@bp.get("/programmes/<int:programme_id>/figures.xlsx", endpoint="programme_figures_xlsx")
@login_required
def programme_figures_csv(programme_id: int):
    programme = event_services.get_programme(programme_id)
    events = programme_events(programme.id)
    figures = programme_figures(programme, events, _programme_today())
    return exports.figures_response(
        f"programme-{programme.id}-figures", figures, xlsx=request.path.endswith(".xlsx")
    )


@bp.get("/programmes/<int:programme_id>/answer-figures.csv")
@bp.get(
    "/programmes/<int:programme_id>/answer-figures.xlsx",
    endpoint="programme_answer_figures_xlsx",
)
@login_required
def programme_answer_figures_csv(programme_id: int):
    programme = event_services.get_programme(programme_id)
    by = answers.crossing(request.args.get("by"))
    report = answers.programme_report(
        programme_events(programme.id), by, exact=False, language=str(get_locale())
    )
    return exports.answers_response(
        f"programme-{programme.id}-answers-by-{by}", report, xlsx=request.path.endswith(".xlsx")
    )


@bp.get("/events/<int:event_id>/answer-figures.csv")
@bp.get("/events/<int:event_id>/answer-figures.xlsx", endpoint="event_answer_figures_xlsx")
@login_required
def event_answer_figures_csv(event_id: int):
    event = managed_event(event_id)
    by = answers.crossing(request.args.get("by"))
    report = answers.event_report(event, by, exact=False, language=str(get_locale()))
    return exports.answers_response(
        f"event-{event.id}-answers-by-{by}", report, xlsx=request.path.endswith(".xlsx")
    )
