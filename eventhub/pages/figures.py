"""Figures by answer on the event page and the programme page, as the request asks for them.

``?by=region`` crosses the answers with the organisations' regions instead of their kinds;
``?exact=1`` shows the exact figures, to those who manage every event counted (the answers
are theirs to read one by one anyway), marked on the page as not for sharing.
"""

from flask import request
from flask_babel import get_locale
from flask_login import current_user

from eventhub.events.models import Event
from eventhub.followup.programme import answers


def _asked_exact() -> bool:
    return request.args.get("exact") == "1"


def event_answer_figures(event: Event, manages: bool) -> answers.Report | None:
    """For the event's managers only: the event page is readable by every organiser."""
    if not manages:
        return None
    by = answers.crossing(request.args.get("by"))
    report = answers.event_report(event, by, _asked_exact(), str(get_locale()))
    report.may_be_exact = True
    return report


def programme_answer_figures(events: list[Event]) -> answers.Report:
    may_be_exact = answers.manages_all(current_user, answers.counted_events(events))
    by = answers.crossing(request.args.get("by"))
    report = answers.programme_report(
        events, by, _asked_exact() and may_be_exact, str(get_locale())
    )
    report.may_be_exact = may_be_exact
    return report
