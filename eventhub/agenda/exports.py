"""The agenda as a CSV or XLSX download."""

from flask_babel import gettext as _

from eventhub.csv_export import csv_response, local_naive
from eventhub.events.models import Event
from eventhub.xlsx_export import xlsx_response


def agenda_header() -> list[str]:
    return [
        _("Date"),
        _("Start"),
        _("End"),
        _("Title"),
        _("Kind"),
        _("Room or place"),
        _("Speakers"),
        _("Description"),
    ]


def agenda_rows(event: Event) -> list[list]:
    """Day, start and end in the event's zone, as values (the writers format them)."""
    rows = []
    for item in event.agenda_items:
        speakers = "; ".join(
            f"{b.speaker.name} ({b.role_label}"
            + (f", {b.speaker.organisation_name}" if b.speaker.organisation_name else "")
            + ")"
            for b in item.speakers
        )
        start = local_naive(item.starts_at, event.timezone)
        rows.append(
            [
                start.date(),
                start.time(),
                local_naive(item.ends_at, event.timezone).time(),
                item.title,
                str(item.kind_label),
                item.location or "",
                speakers,
                item.description or "",
            ]
        )
    return rows


def agenda_csv_response(event: Event):
    return csv_response(f"agenda-event-{event.id}.csv", agenda_header(), agenda_rows(event))


def agenda_xlsx_response(event: Event):
    return xlsx_response(
        f"agenda-event-{event.id}.xlsx",
        _("Agenda"),
        agenda_header(),
        agenda_rows(event),
        widths=(12, 8, 8, 40, 16, 20, 50, 50),
    )
