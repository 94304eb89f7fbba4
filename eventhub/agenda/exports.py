"""The agenda as a CSV download."""

from flask_babel import gettext as _

from eventhub.csv_export import csv_response
from eventhub.events.models import Event
from eventhub.formatting import local_date, local_time


def agenda_rows(event: Event) -> list[list[str]]:
    rows = []
    for item in event.agenda_items:
        speakers = "; ".join(
            f"{b.speaker.name} ({b.role_label}"
            + (f", {b.speaker.organisation_name}" if b.speaker.organisation_name else "")
            + ")"
            for b in item.speakers
        )
        rows.append(
            [
                local_date(item.starts_at, event.timezone, "short"),
                local_time(item.starts_at, event.timezone),
                local_time(item.ends_at, event.timezone),
                item.title,
                str(item.kind_label),
                item.location or "",
                speakers,
                item.description or "",
            ]
        )
    return rows


def agenda_csv_response(event: Event):
    header = [
        _("Date"),
        _("Start"),
        _("End"),
        _("Title"),
        _("Kind"),
        _("Room or place"),
        _("Speakers"),
        _("Description"),
    ]
    return csv_response(f"agenda-event-{event.id}.csv", header, agenda_rows(event))
