"""The participants list as a CSV or XLSX download, one column per question.

Sensitive questions are left out unless the organiser asks for them (the route records that
in the audit log before the file is built). Both files are streamed, and the rows read in
batches, so the memory a download holds does not grow with the event.
"""

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import case

from eventhub.csv_export import csv_stream_response
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.organisations.models import Organisation
from eventhub.questions.reading import QuestionRow, event_question_rows
from eventhub.registrations import answers, services
from eventhub.registrations.models import WALK_IN_LABEL, Registration, RegistrationStatus
from eventhub.xlsx_export import xlsx_stream_response

FIXED_WIDTHS = (28, 30, 30, 24, 14, 30, 8, 17, 17)
ANSWER_WIDTH = 24


def participants_header(questions: list[QuestionRow]) -> list[str]:
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


def exported_questions(event: Event, sensitive: bool) -> list[QuestionRow]:
    return [q for q in event_question_rows(event.id) if sensitive or not q.sensitive]


BATCH = 200


def _row_columns():
    """The columns a row needs, as plain values: an ORM object per person cost more than
    the file's formatting (eight instants converted per row, seven of them never shown)."""
    return (
        Registration.id,
        Registration.name,
        Registration.email,
        # The participants page's ``display_organisation``: the directory's name, else typed.
        case(
            (Registration.organisation_id.is_not(None), Organisation.name),
            else_=Registration.organisation_name,
        ).label("organisation"),
        Registration.job_title,
        Registration.status,
        Registration.walk_in,
        Registration.needs,
        Registration.listed,
        Registration.created_at,
        Registration.checked_in_at,
    )


def participants_rows(event: Event, questions: list[QuestionRow]):
    """The rows in the participants page's order, read ``BATCH`` registrations at a time
    with their answers: a download of a 3,000-person event holds no more in memory than one
    of 200."""
    language = str(get_locale())
    # Each label translated once for the file, not once per row.
    listed_labels = {True: _("Yes"), False: _("No")}
    status_labels = {status.value: str(status.label) for status in RegistrationStatus}
    walk_in_label = str(WALK_IN_LABEL)
    stmt = services.participants_query(event, None, None).with_only_columns(*_row_columns())
    # On PostgreSQL a server-side cursor: closed here also when the download is abandoned.
    with db.session.execute(stmt.execution_options(yield_per=BATCH)) as result:
        for batch in result.partitions():
            table = answers.answer_table(questions, [r.id for r in batch], language)
            for r in batch:
                yield [
                    r.name,
                    r.email,
                    r.organisation or "",
                    r.job_title or "",
                    walk_in_label
                    if r.walk_in and r.status == RegistrationStatus.CONFIRMED
                    else status_labels[r.status],
                    r.needs or "",
                    listed_labels[bool(r.listed)],
                    r.created_at,
                    r.checked_in_at,
                    *table.texts_of(r.id),
                ]


def participants_csv_response(event: Event, sensitive: bool = False):
    questions = exported_questions(event, sensitive)
    suffix = "-sensitive" if sensitive else ""
    return csv_stream_response(
        f"participants-event-{event.id}{suffix}.csv",
        participants_header(questions),
        participants_rows(event, questions),
        event.timezone,
    )


def participants_xlsx_response(event: Event, sensitive: bool = False):
    questions = exported_questions(event, sensitive)
    suffix = "-sensitive" if sensitive else ""
    return xlsx_stream_response(
        f"participants-event-{event.id}{suffix}.xlsx",
        _("Participants"),
        participants_header(questions),
        participants_rows(event, questions),
        event.timezone,
        widths=FIXED_WIDTHS + (ANSWER_WIDTH,) * len(questions),
    )
