"""The participants list as a CSV or XLSX download."""

from flask_babel import gettext as _

from eventhub.csv_export import csv_response
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registrations import services
from eventhub.xlsx_export import xlsx_response


def participants_header() -> list[str]:
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
    ]


def participants_rows(event: Event):
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
        ]


def participants_csv_response(event: Event):
    return csv_response(
        f"participants-event-{event.id}.csv",
        participants_header(),
        participants_rows(event),
        event.timezone,
    )


def participants_xlsx_response(event: Event):
    return xlsx_response(
        f"participants-event-{event.id}.xlsx",
        _("Participants"),
        participants_header(),
        participants_rows(event),
        event.timezone,
        widths=(28, 30, 30, 24, 14, 30, 8, 17, 17),
    )
