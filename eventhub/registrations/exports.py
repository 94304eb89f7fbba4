"""The participants list as a CSV or XLSX download, one column per question.

Sensitive questions are left out unless the organiser asks for them (the route records that
in the audit log before the file is built).
"""

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from eventhub.csv_export import csv_response
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.questions.models import Question
from eventhub.questions.services import event_questions
from eventhub.registrations import answers, services
from eventhub.registrations.models import Registration
from eventhub.xlsx_export import xlsx_response

FIXED_WIDTHS = (28, 30, 30, 24, 14, 30, 8, 17, 17)
ANSWER_WIDTH = 24


def participants_header(questions: list[Question]) -> list[str]:
    language = str(get_locale())
    return [
        _("Name"),
        _("Email"),
        _("Organisation"),
        _("Role or position"),
        _("Status"),
        _("Accessibility or dietary needs"),
        _("Listed"),
        _("Registered"),
        _("Arrived"),
        *(question.label(language) for question in questions),
    ]


def exported_questions(event: Event, sensitive: bool) -> list[Question]:
    return [q for q in event_questions(event.id) if sensitive or not q.sensitive]


def participants_rows(event: Event, questions: list[Question]):
    everyone = select(Registration.id).where(Registration.event_id == event.id)
    table = answers.answer_table(questions, everyone, str(get_locale()))
    for r in db.session.scalars(services.participants_query(event, None, None)):
        yield [
            r.name,
            r.email,
            r.display_organisation or "",
            r.job_title or "",
            str(r.status_label),
            r.needs or "",
            _("Yes") if r.listed else _("No"),
            r.created_at,
            r.checked_in_at,
            *table.texts_of(r.id),
        ]


def participants_csv_response(event: Event, sensitive: bool = False):
    questions = exported_questions(event, sensitive)
    suffix = "-sensitive" if sensitive else ""
    return csv_response(
        f"participants-event-{event.id}{suffix}.csv",
        participants_header(questions),
        participants_rows(event, questions),
        event.timezone,
    )


def participants_xlsx_response(event: Event, sensitive: bool = False):
    questions = exported_questions(event, sensitive)
    suffix = "-sensitive" if sensitive else ""
    return xlsx_response(
        f"participants-event-{event.id}{suffix}.xlsx",
        _("Participants"),
        participants_header(questions),
        participants_rows(event, questions),
        event.timezone,
        widths=FIXED_WIDTHS + (ANSWER_WIDTH,) * len(questions),
    )
